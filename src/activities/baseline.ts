import { CohortChecks } from '../cohorts/definition';
import { worstVerdict as worst } from '../ingest/verdicts';
import type { CheckResult, CohortReport, SourceReport, Verdict } from '../workflows/types';
import { activityLog } from './context';
import type { ActivityDeps } from './deps';

export { worstVerdict as worst } from '../ingest/verdicts';

export function minSizeCheck(size: number, checks: CohortChecks): CheckResult {
  const ok = size >= checks.minSize;
  return {
    name: 'min_size',
    verdict: ok ? 'pass' : 'fail',
    reason: ok ? `${size} members, at least ${checks.minSize} required` : `only ${size} members, below the minimum of ${checks.minSize}`,
    figures: { size },
    thresholds: { minSize: checks.minSize },
  };
}

export function sizeShiftCheck(size: number, previous: number | null, checks: CohortChecks): CheckResult {
  const thresholds = { warnPct: checks.sizeShiftWarnPct, failPct: checks.sizeShiftFailPct };
  if (previous === null) {
    return { name: 'size_shift', verdict: 'pass', reason: 'first publish: no baseline to compare with yet', figures: { size, previous: null, shiftPct: null }, thresholds };
  }
  const shiftPct = previous === 0 ? (size === 0 ? 0 : 100) : (Math.abs(size - previous) * 100) / previous;
  const rounded = Math.round(shiftPct * 10) / 10;
  const verdict: Verdict = shiftPct >= thresholds.failPct ? 'fail' : shiftPct >= thresholds.warnPct ? 'warn' : 'pass';
  const direction = size >= previous ? 'grew' : 'shrank';
  return {
    name: 'size_shift',
    verdict,
    reason: `${direction} ${rounded}% (${previous} → ${size}); warn at ${thresholds.warnPct}%, fail at ${thresholds.failPct}%`,
    figures: { size, previous, shiftPct: rounded },
    thresholds,
  };
}

/** Compares each new snapshot with the cohort's published one; stores and returns the verdicts. */
export async function testAgainstBaselines(deps: ActivityDeps, input: { runId: string; snapshotIds: string[]; sources?: SourceReport[] }): Promise<CohortReport[]> {
  const rows = await deps.db.query<{ snapshot_id: string; cohort_id: string; size: number; definition: { checks: unknown }; previous_size: number | null }>(
    `SELECT s.snapshot_id, s.cohort_id, s.size, d.definition, p.size AS previous_size
     FROM cohort_snapshots s
     JOIN cohort_definitions d ON d.cohort_id = s.cohort_id AND d.version = s.definition_version
     LEFT JOIN cohort_current c ON c.cohort_id = s.cohort_id
     LEFT JOIN cohort_snapshots p ON p.snapshot_id = c.snapshot_id
     WHERE s.snapshot_id = ANY($1::text[]) ORDER BY s.cohort_id`,
    [input.snapshotIds],
  );
  const reports: CohortReport[] = [];
  for (const r of rows.rows) {
    const checks = CohortChecks.parse(r.definition.checks ?? {});
    const results = [minSizeCheck(r.size, checks), sizeShiftCheck(r.size, r.previous_size, checks)];
    const report: CohortReport = { cohortId: r.cohort_id, snapshotId: r.snapshot_id, verdict: worst(results.map((c) => c.verdict)), checks: results };
    await deps.db.query(
      `INSERT INTO baseline_reports (run_id, cohort_id, snapshot_id, verdict, checks) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (run_id, cohort_id) DO UPDATE SET verdict = EXCLUDED.verdict, checks = EXCLUDED.checks`,
      [input.runId, r.cohort_id, r.snapshot_id, report.verdict, JSON.stringify(results)],
    );
    activityLog(deps.log, { runId: input.runId, cohortId: r.cohort_id }).info({ verdict: report.verdict }, 'baseline tested');
    reports.push(report);
  }
  return reports;
}
