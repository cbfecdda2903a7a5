import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { stopShadow } from '../../schemas/shadows';
import { stopShadow as stop } from '../../../shadows/shadow-store';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(stopShadow, deps.tokens),
    handler: async (request) => {
      const { proposed: _proposed, ...shadow } = await stop(deps.db, request.params.id, {
        author: callerOf(request).user,
        reason: request.body.reason,
      });
      return shadow;
    },
  });
};
export default route;
