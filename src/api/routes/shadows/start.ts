import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { startShadow } from '../../schemas/shadows';
import { startShadow as start } from '../../../shadows/shadow-store';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(startShadow, deps.tokens),
    handler: async (request, reply) => {
      const { proposed: _proposed, ...shadow } = await start(deps.db, deps.catalogDir, {
        cohortId: request.params.id,
        ...request.body,
        author: callerOf(request).user,
      });
      return reply.code(201).send(shadow);
    },
  });
};
export default route;
