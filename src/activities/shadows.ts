import { planShadows as plan } from '../shadows/shadow-compute';
import { runShadow as run } from '../shadows/shadow-run';
import type { ShadowRunSummary } from '../shared';
import { heartbeating } from './compute';
import { activityLog } from './context';
import type { ActivityDeps } from './deps';

/** The active shadows of the cohorts this run publishes; fixed once per run. */
export async function planShadows(
  deps: ActivityDeps,
  input: { runId: string },
): Promise<Array<{ shadowId: string; cohortId: string }>> {
  const planned = await plan(deps.db, input.runId);
  if (planned.length > 0) activityLog(deps.log, { runId: input.runId }).info({ shadows: planned }, 'planned shadows');
  return planned;
}

/** Computes, tests and compares one shadow in this run; only its counts and verdicts come back. */
export async function runShadow(
  deps: ActivityDeps,
  input: { runId: string; shadowId: string; cohortId: string; asOf: string },
): Promise<ShadowRunSummary> {
  const t0 = Date.now();
  const summary = await heartbeating(() => run(deps.db, input));
  activityLog(deps.log, { runId: input.runId, cohortId: input.cohortId }).info(
    { ...summary, ms: Date.now() - t0 },
    'shadow ran',
  );
  return summary;
}
