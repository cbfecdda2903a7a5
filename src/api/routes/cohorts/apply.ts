import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { applyCohort } from '../../schemas/cohorts';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(applyCohort, deps.tokens),
    handler: async (request, reply) => {
      const applied = await deps.catalog.apply(request.params.id, { ...request.body, author: callerOf(request).user });
      return reply.code(applied.created ? 201 : 200).send(applied);
    },
  });
};
export default route;
