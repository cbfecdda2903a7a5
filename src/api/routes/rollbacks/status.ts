import { routeOptions, type RouteModule } from '../../route';
import { rollbackStatus } from '../../schemas/rollbacks';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(rollbackStatus, deps.tokens),
    handler: async (request) => deps.refreshes.cohortRollbackStatus(request.params.id),
  });
};
export default route;
