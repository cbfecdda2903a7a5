import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { deleteCohort } from '../../schemas/cohorts';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(deleteCohort, deps.tokens),
    handler: async (request) =>
      deps.catalog.remove(request.params.id, { author: callerOf(request).user, reason: request.body.reason }),
  });
};
export default route;
