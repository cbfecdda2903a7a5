import { WorkflowNotFoundError } from '@temporalio/client';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { InvalidDefinitionError } from '../cohorts/catalog';
import { GuardrailRefused } from '../cohorts/versions';
import type { TokenGrant } from '../config';
import type { Logger } from '../log';
import { DecisionRefused, RollbackRefused, type RefreshClient } from '../temporal/refresh-client';
import { requireAnyRole, requireRole } from './auth';
import { ApiRefusal, registerCohortRoutes, type CohortDeps } from './cohorts';
import { registerDeliveryRoutes } from './deliveries';
import type { Destination } from '../destinations/destination';
import type { AuditCheckpointStore } from '../governance/audit-checkpoints';
import { registerGovernanceRoutes } from './governance';
import { registerPrivacyRoutes } from './privacy';
import { registerRollbackRoutes } from './rollback';
import { registerRunRoutes } from './runs';

const StartBody = z
  .object({
    cadence: z.enum(['monthly', 'quarterly', 'adhoc']).default('adhoc'),
    tier: z.enum(['tactical', 'strategic', 'all']).default('all'),
    rationale: z.string().trim().min(3, 'say why this refresh is needed'),
    asOf: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

const DecisionBody = z
  .object({
    comment: z.string().max(2000).optional(),
    /** The cohorts decided; omit to decide every cohort still waiting. */
    cohorts: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a cohort id'))
      .max(500)
      .optional(),
  })
  .strict();

const RunId = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'a workflow id');

/** The HTTP API: every state-changing route needs a bearer token with the right role. */
export function createApi(deps: {
  refreshes: RefreshClient;
  cohorts: CohortDeps;
  tokens: Record<string, TokenGrant>;
  log: Logger;
  destinations?: () => Destination[];
  /** Signed checkpoints of the audit log, written after every change made through the API. */
  auditCheckpoints?: AuditCheckpointStore;
}): FastifyInstance {
  const app: FastifyInstance = Fastify({ loggerInstance: deps.log.child({ component: 'api' }) as FastifyBaseLogger });
  const role = (r: Parameters<typeof requireRole>[1]) => requireRole(deps.tokens, r);

  app.setErrorHandler((err, request, reply) => {
    if (err instanceof z.ZodError) {
      return reply.code(400).send({
        error: 'invalid_request',
        issues: err.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    if (err instanceof WorkflowNotFoundError) return reply.code(404).send({ error: 'not_found', message: err.message });
    if (err instanceof DecisionRefused)
      return reply.code(409).send({ error: 'decision_refused', message: err.message });
    if (err instanceof RollbackRefused)
      return reply.code(409).send({ error: 'rollback_refused', message: err.message });
    if (err instanceof ApiRefusal) {
      if (err.statusCode >= 500) request.log.error({ err }, 'request failed');
      return reply.code(err.statusCode).send({ error: err.code, message: err.message, ...err.details });
    }
    if (err instanceof GuardrailRefused) return reply.code(409).send({ error: 'guardrail', message: err.message });
    // Every problem, each at file:line: path, so a person fixes them all in one pass.
    if (err instanceof InvalidDefinitionError)
      return reply.code(400).send({ error: 'invalid_definition', message: err.message, problems: err.problems });
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status < 500)
      return reply.code(status).send({ error: 'bad_request', message: (err as Error).message });
    request.log.error({ err }, 'request failed');
    return reply.code(500).send({ error: 'internal', message: 'internal error; see the server log' });
  });

  // A change through the API may have appended to the audit log: sign its head before answering,
  // so a rewrite of those rows is caught without waiting for the next run's checkpoint. The change
  // is committed already, so a checkpoint that fails is logged, not answered as an error.
  const checkpoints = deps.auditCheckpoints;
  if (checkpoints)
    app.addHook('onSend', async (request, reply, payload) => {
      if (request.method !== 'GET' && reply.statusCode < 400)
        await checkpoints
          .write(deps.cohorts.db)
          .catch((err: unknown) => request.log.error({ err }, 'audit checkpoint not written'));
      return payload;
    });

  app.get('/health', async () => ({ ok: true }));

  app.post('/refreshes', { preHandler: role('operator') }, async (request, reply) => {
    const body = StartBody.parse(request.body ?? {});
    const started = await deps.refreshes.start({ ...body, requestedBy: request.caller!.user });
    return reply.code(202).send(started);
  });

  app.get('/refreshes/:id', { preHandler: role('viewer') }, async (request) => {
    const id = RunId.parse((request.params as { id: string }).id);
    return deps.refreshes.status(id);
  });

  for (const decision of ['approve', 'reject', 'request-changes'] as const) {
    app.post(`/refreshes/:id/${decision}`, { preHandler: role('approver') }, async (request) => {
      const id = RunId.parse((request.params as { id: string }).id);
      const body = DecisionBody.parse(request.body ?? {});
      return deps.refreshes.decide(id, {
        approver: request.caller!.user,
        decision,
        comment: body.comment,
        cohorts: body.cohorts,
        runId: id,
      });
    });
  }

  registerCohortRoutes(app, deps.cohorts, role);
  registerGovernanceRoutes(app, deps.cohorts.db, deps.tokens, deps.auditCheckpoints);
  registerRunRoutes(app, { db: deps.cohorts.db }, role);
  registerPrivacyRoutes(
    app,
    { db: deps.cohorts.db, log: deps.log, destinations: deps.destinations ?? (() => []) },
    role,
  );
  registerRollbackRoutes(app, { refreshes: deps.refreshes, db: deps.cohorts.db }, (roles) =>
    requireAnyRole(deps.tokens, roles),
  );
  registerDeliveryRoutes(
    app,
    { db: deps.cohorts.db, log: deps.log, destinations: deps.destinations ?? (() => []) },
    role,
  );
  return app;
}
