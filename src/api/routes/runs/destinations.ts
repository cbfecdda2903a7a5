import { destinationOverview } from '../../../delivery/destination-overview';
import { routeOptions, type RouteModule } from '../../route';
import { listDestinations } from '../../schemas/deliveries';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(listDestinations, deps.tokens),
    handler: async () => ({ destinations: await destinationOverview(deps.db, deps.destinations()) }),
  });
};
export default route;
