import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Role } from '../config';
import type { Queryable } from '../data/db';
import type { RefreshClient } from '../temporal/refresh-client';
import type { requireAnyRole } from './auth';
import { ApiRefusal } from './cohorts';

// Rollback: during a run's watch window (an Update to the run), and later as a rollback run that
// restores a chosen version once an approver agrees (docs/rollback.md).

const CohortId = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a cohort id');
const RunId = z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'a workflow id');
const Reason = z.string().trim().min(3, 'say why this is rolled back').max(2000);

const RefreshRollbackBody = z.object({ reason: Reason, cohorts: z.array(CohortId).max(500).optional() }).strict();
const CohortRollbackBody = z.object({ toVersion: z.number().int().min(1), reason: Reason }).strict();
const DecisionBody = z.object({ comment: z.string().max(2000).optional() }).strict();

export function registerRollbackRoutes(
  app: FastifyInstance,
  deps: { refreshes: RefreshClient; db: Queryable },
  anyRole: (roles: Role[]) => ReturnType<typeof requireAnyRole>,
): void {
  app.post('/refreshes/:id/rollback', { preHandler: anyRole(['operator', 'approver']) }, async (request) => {
    const id = RunId.parse((request.params as { id: string }).id);
    const body = RefreshRollbackBody.parse(request.body ?? {});
    return deps.refreshes.rollback(id, {
      requestedBy: request.caller!.user,
      reason: body.reason,
      ...(body.cohorts ? { cohorts: body.cohorts } : {}),
    });
  });

  app.post('/cohorts/:id/rollback', { preHandler: anyRole(['operator']) }, async (request, reply) => {
    const cohortId = CohortId.parse((request.params as { id: string }).id);
    const body = CohortRollbackBody.parse(request.body ?? {});
    // Said at once here; the rollback run checks it again before it asks anyone.
    const known = await deps.db.query('SELECT 1 FROM published_versions WHERE cohort_id = $1 AND version = $2', [
      cohortId,
      body.toVersion,
    ]);
    if (!known.rowCount)
      throw new ApiRefusal(404, 'not_found', `${cohortId} has no published version ${body.toVersion}`);
    const started = await deps.refreshes.startCohortRollback({
      cohortId,
      toVersion: body.toVersion,
      requestedBy: request.caller!.user,
      reason: body.reason,
    });
    return reply.code(started.alreadyRunning ? 200 : 202).send(started);
  });

  app.get('/rollbacks/:id', { preHandler: anyRole(['viewer']) }, async (request) =>
    deps.refreshes.cohortRollbackStatus(RunId.parse((request.params as { id: string }).id)),
  );

  for (const decision of ['approve', 'reject'] as const) {
    app.post(`/rollbacks/:id/${decision}`, { preHandler: anyRole(['approver']) }, async (request) => {
      const id = RunId.parse((request.params as { id: string }).id);
      const body = DecisionBody.parse(request.body ?? {});
      return deps.refreshes.decideCohortRollback(id, {
        approver: request.caller!.user,
        decision,
        comment: body.comment,
      });
    });
  }
}
