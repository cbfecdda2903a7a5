import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { deprecateCohort } from '../../schemas/cohorts';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(deprecateCohort, deps.tokens),
    handler: async (request) =>
      deps.catalog.deprecate(request.params.id, { author: callerOf(request).user, reason: request.body.reason }),
  });
};
export default route;
