import crypto from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { TokenGrant } from '../../config';
import type { Caller } from '../auth';
import { ERRORS } from '../errors';
import { sha256, type SessionStore } from './store';

// The dashboard's way in: a session cookie instead of a bearer token. A request that carries
// Authorization is a bearer client and the cookie plays no part. A request with only the cookie
// gets the session's caller, and a state change must also carry the session's CSRF token in a
// header, which a page of another site can neither read nor set: a forged form post is refused
// before its body is read, whatever SameSite does in the browser at hand.

export const SESSION_COOKIE = 'cohortflow_session';
export const CSRF_HEADER = 'x-csrf-token';
export const SIGN_IN_URL = '/session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface Session {
  id: string;
  caller: Caller;
  csrfToken: string;
  expiresAt: Date;
}

declare module 'fastify' {
  interface FastifyRequest {
    session?: Session;
  }
}

const sameSecret = (given: string | string[] | undefined, expected: string) => {
  if (typeof given !== 'string') return false;
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
};

/** Secure when the browser reached us over TLS (directly, or through a proxy named in API_TRUST_PROXY). */
export const overTls = (request: FastifyRequest) => request.protocol === 'https';

const cookieOf = (request: FastifyRequest, value: string, expires: Date) =>
  stringifySetCookie({
    name: SESSION_COOKIE,
    value,
    path: '/',
    httpOnly: true,
    sameSite: 'strict',
    secure: overTls(request),
    expires,
  });

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, id: string, expiresAt: Date) {
  reply.header('set-cookie', cookieOf(request, id, expiresAt));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply) {
  reply.header('set-cookie', cookieOf(request, '', new Date(0)));
}

/**
 * Resolves the session cookie into request.session. The grant is looked up again on every
 * request, so roles follow the token's current grant and a revoked token ends its sessions.
 */
export const sessionPlugin = fp<{ store: SessionStore; tokens: Record<string, TokenGrant> }>(
  async (app, { store, tokens }) => {
    const grants = new Map(Object.entries(tokens).map(([token, grant]) => [sha256(token), grant]));
    app.addHook('onRequest', async (request) => {
      if (request.headers.authorization || !request.headers.cookie) return;
      const id = parseCookie(request.headers.cookie)[SESSION_COOKIE];
      if (!id) return;
      const stored = await store.find(id);
      const grant = stored && grants.get(stored.tokenSha256);
      if (!stored || !grant) return;
      request.session = {
        id,
        caller: { user: grant.user, roles: grant.roles },
        csrfToken: stored.csrfToken,
        expiresAt: stored.expiresAt,
      };
      const signingIn = request.method === 'POST' && request.url === SIGN_IN_URL;
      if (
        !SAFE_METHODS.has(request.method) &&
        !signingIn &&
        !sameSecret(request.headers[CSRF_HEADER], stored.csrfToken)
      )
        throw ERRORS.csrfFailed();
    });
  },
  { name: 'cohortflow-sessions' },
);
