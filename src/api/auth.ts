import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role, TokenGrant } from '../config';

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

/** A preHandler that lets the request through only for a caller with the role. */
export function requireRole(tokens: Record<string, TokenGrant>, role: Role) {
  return requireAnyRole(tokens, [role]);
}

/** A preHandler for routes several roles may use (a note: an analyst or an approver). */
export function requireAnyRole(tokens: Record<string, TokenGrant>, roles: readonly Role[]) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const caller = authenticate(tokens, request.headers.authorization);
    if (!caller) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: 'send Authorization: Bearer <token>' });
    }
    if (!roles.some((role) => hasRole(caller, role))) {
      return reply
        .code(403)
        .send({ error: 'forbidden', message: `${caller.user} lacks the ${roles.join(' or ')} role` });
    }
    request.caller = caller;
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
  }
}
