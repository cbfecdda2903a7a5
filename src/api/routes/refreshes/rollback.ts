import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { rollbackRefresh } from '../../schemas/rollbacks';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(rollbackRefresh, deps.tokens),
    handler: async (request) =>
      deps.refreshes.rollback(request.params.id, {
        requestedBy: callerOf(request).user,
        reason: request.body.reason,
        ...(request.body.cohorts ? { cohorts: request.body.cohorts } : {}),
      }),
  });
};
export default route;
