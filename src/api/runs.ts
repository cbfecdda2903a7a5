import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { runReport, type RunReport } from '../baseline/report-store';
import type { Role } from '../config';
import type { Queryable } from '../data/db';
import type { requireRole } from './auth';
import { ApiRefusal } from './cohorts';

// What a run found: read from Postgres, so a report stays readable after its workflow is gone.

export type { RunReport };

const RunParams = z.object({ id: z.string().regex(/^[A-Za-z0-9._:-]{1,200}$/, 'a run id (the workflow id)') }).strict();

export function registerRunRoutes(
  app: FastifyInstance,
  deps: { db: Queryable },
  role: (r: Role) => ReturnType<typeof requireRole>,
): void {
  app.get('/runs/:id/report', { preHandler: role('viewer') }, async (request): Promise<RunReport> => {
    const { id } = RunParams.parse(request.params);
    const report = await runReport(deps.db, id);
    if (!report) throw new ApiRefusal(404, 'not_found', `no run "${id}"`);
    return report;
  });
}
