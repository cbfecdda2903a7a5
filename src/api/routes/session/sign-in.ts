import { authenticate } from '../../auth';
import { ERRORS } from '../../errors';
import { temporalNamespaceUrl } from '../../../temporal/run-list';
import { routeOptions, type RouteModule } from '../../route';
import { signIn } from '../../schemas/session';
import { setSessionCookie } from '../../session/plugin';
import { sha256 } from '../../session/store';

/** A page of another site may not sign a browser in to an account of its choosing (login CSRF). */
function sameOrigin(origin: string | undefined, protocol: string, host: string | undefined): boolean {
  return origin === undefined || origin === `${protocol}://${host}`;
}

const route: RouteModule = (app, deps) => {
  app.route({
    ...routeOptions(signIn, deps.tokens),
    handler: async (request, reply) => {
      const origin = request.headers.origin;
      if (!sameOrigin(origin, request.protocol, request.headers.host)) throw ERRORS.crossOrigin(String(origin));
      const caller = authenticate(deps.tokens, `Bearer ${request.body.token}`);
      if (!caller) throw ERRORS.unknownToken();
      if (request.session) await deps.sessions.close(request.session.id);
      const opened = await deps.sessions.open(sha256(request.body.token));
      setSessionCookie(request, reply, opened.id, opened.expiresAt);
      request.log.info({ user: caller.user }, 'dashboard sign-in');
      return {
        user: caller.user,
        roles: caller.roles,
        csrfToken: opened.csrfToken,
        expiresAt: opened.expiresAt.toISOString(),
        temporalUi: temporalNamespaceUrl(deps.temporalUiUrl, deps.refreshes.client.options.namespace),
      };
    },
  });
};
export default route;
