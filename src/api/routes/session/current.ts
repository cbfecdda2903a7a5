import { ERRORS } from '../../errors';
import { temporalNamespaceUrl } from '../../../temporal/run-list';
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
        temporalUi: temporalNamespaceUrl(deps.temporalUiUrl, deps.refreshes.client.options.namespace),
      };
    },
  });
};
export default route;
