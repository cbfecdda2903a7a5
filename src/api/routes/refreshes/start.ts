import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { startRefresh } from '../../schemas/refreshes';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(startRefresh, deps.tokens),
    handler: async (request, reply) => {
      const started = await deps.refreshes.start({ ...request.body, requestedBy: callerOf(request).user });
      return reply.code(202).send(started);
    },
  });
};
export default route;
