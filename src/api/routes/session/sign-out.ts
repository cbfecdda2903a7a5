import { routeOptions, type RouteModule } from '../../route';
import { signOut } from '../../schemas/session';
import { clearSessionCookie } from '../../session/plugin';

// The session plugin has already refused a sign-out without the CSRF token, so a page of
// another site cannot sign a person out either.
const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(signOut, deps.tokens),
    handler: async (request, reply) => {
      if (request.session) await deps.sessions.close(request.session.id);
      clearSessionCookie(request, reply);
      return { signedOut: true as const };
    },
  });
};
export default route;
