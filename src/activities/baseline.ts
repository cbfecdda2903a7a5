import { testRunAgainstBaselines, UnknownSnapshots, type BaselineTestInput } from '../baseline/baseline-run';
import { workflowReport } from '../baseline/cohort-report';
import type { CohortReport } from '../shared';
import { heartbeating } from './compute';
import { activityLog, invalidInput } from './context';
import type { ActivityDeps } from './deps';

/**
 * Tests the run's snapshots against their baselines (src/baseline) and stores the full report;
 * the workflow gets each cohort's verdict, only the checks that did not pass, and the authors.
 */
export async function testAgainstBaselines(deps: ActivityDeps, input: BaselineTestInput): Promise<CohortReport[]> {
  const t0 = Date.now();
  const reports = await heartbeating(() => testRunAgainstBaselines(deps.db, input)).catch((err: unknown) => {
    throw err instanceof UnknownSnapshots ? invalidInput(err.message) : err;
  });
  const log = activityLog(deps.log, { runId: input.runId });
  for (const r of reports)
    log.info(
      {
        cohortId: r.cohortId,
        verdict: r.verdict,
        flagged: r.checks
          .filter((c) => c.verdict !== 'pass')
          .map((c) => (c.subject ? `${c.name}:${c.subject}` : c.name)),
      },
      'baseline tested',
    );
  log.info({ cohorts: reports.length, ms: Date.now() - t0 }, 'baseline tests done');
  return reports.map(workflowReport);
}
