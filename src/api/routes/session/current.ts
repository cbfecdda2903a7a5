import { ERRORS } from '../../errors';
import { routeOptions, type RouteModule } from '../../route';
import { currentSession } from '../../schemas/session';

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(currentSession, deps.tokens),
    handler: async (request) => {
      const session = request.session;
      if (!session) throw ERRORS.notSignedIn();
      return {
        user: session.caller.user,
        roles: session.caller.roles,
        csrfToken: session.csrfToken,
        expiresAt: session.expiresAt.toISOString(),
        temporalUi: deps.temporalUiUrl ?? null,
      };
    },
  });
};
export default route;
