import { WorkflowNotFoundError } from '@temporalio/client';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { CatalogRefusal, InvalidDefinitionError, type Referrer } from '../cohorts/catalog';
import { GuardrailRefused } from '../cohorts/guardrail';
import { NothingToReconcile } from '../delivery/reconcile';
import { ExperimentRefused } from '../experiments/experiment-store';
import { UnknownCustomer } from '../privacy/erase';
import { ShadowNotFound, ShadowRefused } from '../shadows/shadow-store';
import { DecisionRefused, RerunRefused, RollbackRefused } from '../temporal/refresh-client';
import type { ErrorBody } from './schemas/common';
import { awayDependency } from './unavailable';

// Every error the API answers, by code: one factory each, one renderer. Routes throw these;
// errors of the modules below are translated once, here, so no route re-spells a status.

/** An answer the API gives instead of a result: status, a stable code, and a message a person can act on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Omit<ErrorBody, 'error' | 'message'> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(): ErrorBody {
    return { error: this.code, message: this.message, ...this.details };
  }
}

export type Issue = { path: string; message: string };

export const issuesOf = (error: z.ZodError): Issue[] =>
  error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));

export const ERRORS = {
  /** A body, query or path parameter that does not fit its schema: every issue with its path. */
  invalidRequest: (issues: Issue[]) =>
    new ApiError(
      400,
      'invalid_request',
      `invalid request: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`,
      {
        issues,
      },
    ),
  /** Every problem at file:line: path, so a person fixes them all in one pass. */
  invalidDefinition: (message: string, problems: string[]) =>
    new ApiError(400, 'invalid_definition', message, { problems }),
  badRequest: (status: number, message: string) => new ApiError(status, 'bad_request', message),
  unauthorized: () =>
    new ApiError(401, 'unauthorized', 'send Authorization: Bearer <token>', {}, { 'www-authenticate': 'Bearer' }),
  forbidden: (user: string, roles: readonly string[]) =>
    new ApiError(403, 'forbidden', `${user} lacks the ${roles.join(' or ')} role`),
  unknownToken: () => new ApiError(401, 'unauthorized', 'no such token; ask an administrator for yours'),
  notSignedIn: () => new ApiError(401, 'unauthorized', 'not signed in: POST /session with your API token'),
  /** A state change made with the dashboard's session cookie but without its CSRF token. */
  csrfFailed: () =>
    new ApiError(
      403,
      'csrf_failed',
      "a change made with a dashboard session must carry the session's X-CSRF-Token header; reload the page and try again",
    ),
  /** Signing in from a page of another origin (login CSRF). */
  crossOrigin: (origin: string) =>
    new ApiError(403, 'cross_origin', `sign-in from another origin (${origin}) is refused`),
  notFound: (message: string) => new ApiError(404, 'not_found', message),
  noRoute: (method: string, url: string) =>
    new ApiError(404, 'not_found', `no route ${method} ${url.split('?')[0]}; the routes are listed at /docs`),
  guardrail: (message: string) => new ApiError(409, 'guardrail', message),
  referenced: (message: string, referrers: Referrer[]) => new ApiError(409, 'referenced', message, { referrers }),
  alreadyDeprecated: (message: string) => new ApiError(409, 'already_deprecated', message),
  /** A shadow start, stop or promotion refused: one active per cohort, a proposal equal to the live version, one not run yet. */
  shadowRefused: (message: string) => new ApiError(409, 'shadow_refused', message),
  decisionRefused: (message: string) => new ApiError(409, 'decision_refused', message),
  rollbackRefused: (message: string) => new ApiError(409, 'rollback_refused', message),
  /** A re-run of a run that is still open, that published, or that has no ingest to start after. */
  rerunRefused: (message: string) => new ApiError(409, 'rerun_refused', message),
  /** An experiment id taken, a cohort already carrying a running experiment, or one already stopped. */
  experimentConflict: (message: string) => new ApiError(409, 'experiment_conflict', message),
  /** One active refresh per tier: the run holding it, to follow or wait for (`queue: true`). */
  refreshRunning: (message: string, runId: string) => new ApiError(409, 'refresh_running', message, { runId }),
  /** Something this process was not configured to do, e.g. sign audit checkpoints without a key. */
  notConfigured: (message: string) => new ApiError(409, 'not_configured', message),
  fileNotRemoved: (message: string, version: number) => new ApiError(500, 'file_not_removed', message, { version }),
  /** A destination still failing: the delivery stays pending and the next reconcile resumes it. */
  destinationFailed: (message: string) => new ApiError(502, 'destination_failed', message),
  /** A dependency is away (restarting, an outage): the same call works once it is back. */
  unavailable: (what: 'PostgreSQL' | 'Temporal') =>
    new ApiError(
      503,
      what === 'Temporal' ? 'temporal_unavailable' : 'database_unavailable',
      `${what} does not answer right now; try again shortly (GET /health shows what is missing)`,
      {},
      { 'retry-after': '5' },
    ),
  internal: () => new ApiError(500, 'internal', 'internal error; see the server log'),
};

/** Errors of the modules below the API, translated once; anything else is a 500. */
function fromDomain(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof CatalogRefusal) {
    const r = err.refusal;
    switch (r.kind) {
      case 'not_found':
        return ERRORS.notFound(err.message);
      case 'referenced':
        return ERRORS.referenced(err.message, r.referrers);
      case 'already_deprecated':
        return ERRORS.alreadyDeprecated(err.message);
      case 'file_not_removed':
        return ERRORS.fileNotRemoved(err.message, r.version);
    }
  }
  if (err instanceof InvalidDefinitionError) return ERRORS.invalidDefinition(err.message, err.problems);
  if (err instanceof GuardrailRefused) return ERRORS.guardrail(err.message);
  if (err instanceof ExperimentRefused)
    return err.kind === 'not_found' ? ERRORS.notFound(err.message) : ERRORS.experimentConflict(err.message);
  if (err instanceof WorkflowNotFoundError) return ERRORS.notFound(err.message);
  if (err instanceof ShadowRefused) return ERRORS.shadowRefused(err.message);
  if (err instanceof ShadowNotFound) return ERRORS.notFound(err.message);
  if (err instanceof DecisionRefused) return ERRORS.decisionRefused(err.message);
  if (err instanceof RollbackRefused) return ERRORS.rollbackRefused(err.message);
  if (err instanceof RerunRefused) return ERRORS.rerunRefused(err.message);
  if (err instanceof UnknownCustomer || err instanceof NothingToReconcile) return ERRORS.notFound(err.message);
  // Fastify's own refusals: a body that is not JSON, an unsupported media type, a body too large.
  const status = (err as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) return ERRORS.badRequest(status, (err as Error).message);
  const away = awayDependency(err);
  if (away) return ERRORS.unavailable(away);
  return undefined;
}

/** The one renderer: every error the API answers leaves through here. */
export function renderError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const known = fromDomain(err);
  const answer = known ?? ERRORS.internal();
  if (answer.status >= 500) request.log.error({ err }, 'request failed');
  return reply.code(answer.status).headers(answer.headers).send(answer.body());
}
