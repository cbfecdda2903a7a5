import { deliveryStatus } from '../../../delivery/delivery-status';
import { routeOptions, type RouteModule } from '../../route';
import { runDeliveries } from '../../schemas/runs';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(runDeliveries, deps.tokens),
    handler: async (request) => deliveryStatus(deps.db, request.params.id),
  });
};
export default route;
