import { routeOptions, type RouteModule } from '../../route';
import { refreshStatus } from '../../schemas/refreshes';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(refreshStatus, deps.tokens),
    handler: async (request) => deps.refreshes.status(request.params.id),
  });
};
export default route;
