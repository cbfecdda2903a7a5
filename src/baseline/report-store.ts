import type { Db, Queryable } from '../data/db';
import type { CheckResult, SourceReport, Verdict } from '../shared';
import type { CohortBaselineReport } from './cohort-report';

// The full baseline report of a run in Postgres: one row per cohort (baseline_reports) and one
// per data source (run_source_reports). What people read through the API and the CLI.

export interface RunReport {
  runId: string;
  asOf: string | null;
  sources: SourceReport[];
  cohorts: CohortBaselineReport[];
}

export async function storeCohortReport(db: Queryable, runId: string, r: CohortBaselineReport): Promise<void> {
  await db.query(
    `INSERT INTO baseline_reports (run_id, cohort_id, snapshot_id, verdict, checks, tier, compared_to_snapshot_id, compared_to_version, baseline_snapshots, changed_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (run_id, cohort_id) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, verdict = EXCLUDED.verdict, checks = EXCLUDED.checks, tier = EXCLUDED.tier,
       compared_to_snapshot_id = EXCLUDED.compared_to_snapshot_id, compared_to_version = EXCLUDED.compared_to_version,
       baseline_snapshots = EXCLUDED.baseline_snapshots, changed_by = EXCLUDED.changed_by`,
    [
      runId,
      r.cohortId,
      r.snapshotId,
      r.verdict,
      JSON.stringify(r.checks),
      r.tier,
      r.comparedTo?.snapshotId ?? null,
      r.comparedTo?.version ?? null,
      r.baseline.snapshots,
      r.changedBy,
    ],
  );
}

/** Replaces the run's source verdicts with these (a retry passes the same ones). */
export async function storeSourceReports(db: Db, runId: string, sources: SourceReport[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('DELETE FROM run_source_reports WHERE run_id = $1', [runId]);
    await tx.query(
      `INSERT INTO run_source_reports (run_id, source, kind, verdict, report)
       SELECT $1, x.report->>'source', x.report->>'kind', x.report->>'verdict', x.report FROM jsonb_array_elements($2::jsonb) AS x (report)`,
      [runId, JSON.stringify(sources)],
    );
  });
}

/** The cohort reports stored for the run, by cohort. Rows written before migration 006 come back with what they have. */
export async function storedCohortReports(db: Queryable, runId: string): Promise<Map<string, CohortBaselineReport>> {
  const r = await db.query<{
    cohort_id: string;
    snapshot_id: string;
    tier: string | null;
    definition_tier: string | null;
    verdict: Verdict;
    checks: CheckResult[];
    compared_to_snapshot_id: string | null;
    compared_to_version: number | null;
    baseline_snapshots: number;
    changed_by: string[];
  }>(
    `SELECT b.cohort_id, b.snapshot_id, b.tier, d.tier AS definition_tier, b.verdict, b.checks, b.compared_to_snapshot_id, b.compared_to_version, b.baseline_snapshots, b.changed_by
     FROM baseline_reports b
     JOIN cohort_snapshots s ON s.snapshot_id = b.snapshot_id
     LEFT JOIN cohort_definitions d ON d.cohort_id = s.cohort_id AND d.version = s.definition_version
     WHERE b.run_id = $1 ORDER BY b.cohort_id`,
    [runId],
  );
  return new Map(
    r.rows.map((x) => [
      x.cohort_id,
      {
        cohortId: x.cohort_id,
        snapshotId: x.snapshot_id,
        tier: x.tier ?? x.definition_tier ?? 'unknown',
        verdict: x.verdict,
        comparedTo: x.compared_to_snapshot_id
          ? { snapshotId: x.compared_to_snapshot_id, version: x.compared_to_version ?? 0 }
          : null,
        baseline: { snapshots: x.baseline_snapshots },
        checks: x.checks,
        changedBy: x.changed_by,
      },
    ]),
  );
}

/** The run's whole report; undefined for a run cohortflow does not know. */
export async function runReport(db: Queryable, runId: string): Promise<RunReport | undefined> {
  const run = await db.query<{ as_of: Date | null }>('SELECT as_of FROM runs WHERE run_id = $1', [runId]);
  if (!run.rows[0]) return undefined;
  const sources = await db.query<{ report: SourceReport }>(
    'SELECT report FROM run_source_reports WHERE run_id = $1 ORDER BY source',
    [runId],
  );
  return {
    runId,
    asOf: run.rows[0].as_of?.toISOString() ?? null,
    // Reports stored before erased rows were counted had none.
    sources: sources.rows.map((x) => ({ ...x.report, erased: x.report.erased ?? 0 })),
    cohorts: [...(await storedCohortReports(db, runId)).values()],
  };
}
