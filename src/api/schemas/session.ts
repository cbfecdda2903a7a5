import { z } from 'zod';
import { Role } from '../../config';
import { ErrorBody } from './common';
import { route } from './contract';

// Dashboard sign-in: a token exchanged for a session cookie (HttpOnly, SameSite=Strict, Secure
// over TLS). A change made with the cookie must carry the session's CSRF token in X-CSRF-Token;
// bearer-token clients never need any of this.

export const SessionInfo = z
  .object({
    user: z.string(),
    roles: z.array(Role),
    csrfToken: z.string().meta({ description: 'Send it as X-CSRF-Token with every change made with this session.' }),
    expiresAt: z.string(),
    temporalUi: z.string().nullable().meta({
      description: "The Temporal Web UI's page of this namespace (append /workflows/<id>); null when not configured.",
    }),
  })
  .meta({ id: 'Session' });
export type SessionInfo = z.output<typeof SessionInfo>;

export const signIn = route({
  method: 'POST',
  url: '/session',
  roles: null,
  tags: ['session'],
  summary: 'Sign in to the dashboard with an API token: sets the session cookie',
  description:
    '401 for an unknown token; 403 when the request comes from a page of another origin. The token itself is never stored, only its hash.',
  schema: {
    body: z.object({ token: z.string().trim().min(16, 'an API token (16 characters or more)').max(512) }).strict(),
    response: { 200: SessionInfo, 400: ErrorBody, 401: ErrorBody, 403: ErrorBody },
  },
});

export const currentSession = route({
  method: 'GET',
  url: '/session',
  roles: null,
  tags: ['session'],
  summary: "The dashboard session's user, roles and CSRF token; 401 when not signed in",
  schema: { response: { 200: SessionInfo, 401: ErrorBody } },
});

export const signOut = route({
  method: 'DELETE',
  url: '/session',
  roles: null,
  tags: ['session'],
  summary: 'Sign out: deletes the session and its cookie (needs the CSRF token)',
  schema: { response: { 200: z.object({ signedOut: z.literal(true) }), 403: ErrorBody } },
});
