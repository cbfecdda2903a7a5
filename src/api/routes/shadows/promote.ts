import { callerOf } from '../../auth';
import { routeOptions, type RouteModule } from '../../route';
import { promoteShadow } from '../../schemas/shadows';
import { promoteShadow as promote } from '../../../shadows/shadow-store';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(promoteShadow, deps.tokens),
    handler: async (request) => {
      const promoted = await promote(deps.db, deps.catalog, request.params.id, {
        author: callerOf(request).user,
        rationale: request.body.rationale,
        shadowId: request.body.shadow,
      });
      const { proposed: _proposed, ...shadow } = promoted.shadow;
      return { shadow, version: promoted.version, created: promoted.created };
    },
  });
};
export default route;
