import crypto from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Role, TokenGrant } from '../config';
import { ERRORS } from './errors';

export interface Caller {
  user: string;
  roles: Role[];
}

/** What each route needs; admin implies every role. */
export function hasRole(caller: Caller, role: Role): boolean {
  return caller.roles.includes('admin') || caller.roles.includes(role);
}

/** Bearer token → caller, comparing in constant time so a token cannot be guessed byte by byte. */
export function authenticate(tokens: Record<string, TokenGrant>, header: string | undefined): Caller | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const presented = crypto.createHash('sha256').update(m[1]!).digest();
  for (const [token, grant] of Object.entries(tokens)) {
    const known = crypto.createHash('sha256').update(token).digest();
    if (crypto.timingSafeEqual(presented, known)) return { user: grant.user, roles: grant.roles };
  }
  return undefined;
}

/**
 * An onRequest hook that lets the request through only for a caller with one of the roles. It
 * runs before the body is parsed and validated: a caller without the role learns nothing about
 * what a valid request looks like. The caller is the bearer token's, or without Authorization the
 * dashboard session's (its CSRF token already checked by the session plugin).
 */
export function requireAnyRole(tokens: Record<string, TokenGrant>, roles: readonly Role[]) {
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization;
    const caller = header ? authenticate(tokens, header) : request.session?.caller;
    if (!caller) throw ERRORS.unauthorized();
    if (!roles.some((role) => hasRole(caller, role))) throw ERRORS.forbidden(caller.user, roles);
    request.caller = caller;
  };
}

/** The authenticated caller of a route that has a role; a route without one has no caller. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new Error(`${request.method} ${request.url}: no caller; the route declares no role`);
  return request.caller;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}
