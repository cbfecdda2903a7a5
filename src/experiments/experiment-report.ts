import type { Queryable } from '../data/db';
import type { ReallocationEvidence } from './adaptive-allocation';
import { analyseExperiment, type ExperimentReport } from './analysis';
import { allocationsOf, experimentById, ExperimentRefused, type StoredExperiment } from './experiment-store';
import { armFigures, assignedPerVersion } from './kpi-figures';

// The report a person reads: the experiment, the per-arm KPI and comparisons (analysis.ts) over
// the assignments as of a moment, every allocation and every reallocation decision with its
// evidence. Everything is computed from aggregates; no member list leaves PostgreSQL.

export interface ReallocationRecord {
  runId: string;
  decision: ReallocationEvidence['decision'];
  fromVersion: number;
  toVersion: number;
  seed: string;
  decidedAt: string;
  evidence: ReallocationEvidence;
}

export interface ExperimentReportView {
  experiment: StoredExperiment;
  asOf: string;
  allocations: Awaited<ReturnType<typeof allocationsOf>>;
  reallocations: ReallocationRecord[];
  report: ExperimentReport;
}

async function reallocationsOf(db: Queryable, experimentId: string): Promise<ReallocationRecord[]> {
  const r = await db.query<{
    run_id: string;
    decision: ReallocationEvidence['decision'];
    from_version: number;
    to_version: number;
    seed: string;
    decided_at: Date;
    evidence: ReallocationEvidence;
  }>(
    `SELECT run_id, decision, from_version, to_version, seed, decided_at, evidence FROM experiment_reallocations
     WHERE experiment_id = $1 ORDER BY decided_at, run_id`,
    [experimentId],
  );
  return r.rows.map((row) => ({
    runId: row.run_id,
    decision: row.decision,
    fromVersion: row.from_version,
    toVersion: row.to_version,
    seed: row.seed,
    decidedAt: row.decided_at.toISOString(),
    evidence: row.evidence,
  }));
}

/** The experiment's report as of `asOf` (default now); throws ExperimentRefused for an unknown id. */
export async function experimentReport(
  db: Queryable,
  experimentId: string,
  asOf: Date = new Date(),
): Promise<ExperimentReportView> {
  const experiment = await experimentById(db, experimentId);
  if (!experiment) throw new ExperimentRefused('not_found', `no experiment "${experimentId}"`);
  const e = experiment.definition;
  const allocations = await allocationsOf(db, e.id);
  const perVersion = await assignedPerVersion(db, e.id, asOf);
  // Allocations nobody was assigned under add nothing to the sample ratio check.
  const assignments = allocations
    .filter((a) => perVersion.has(a.version))
    .map((a) => ({
      allocation: a,
      perArm: { ...Object.fromEntries(a.arms.map((x) => [x.arm, 0])), ...perVersion.get(a.version) },
    }));
  const report = analyseExperiment(e, await armFigures(db, e, asOf), assignments);
  return {
    experiment,
    asOf: asOf.toISOString(),
    allocations,
    reallocations: await reallocationsOf(db, e.id),
    report,
  };
}
