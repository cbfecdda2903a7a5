import { isCancellation } from '@temporalio/workflow';
import { stages } from './activities';
import type { RefreshState } from './refresh-state';
import type { ShadowRunSummary } from '../shared';

/**
 * Shadow definitions of the run's cohorts, computed beside the live snapshots at the same asOf,
 * tested and compared, and never handed to the gate or to publish: only their counts and
 * verdicts come back, for the status. A shadow that cannot be computed never stops the refresh.
 */
export async function runShadows(state: RefreshState, asOf: string): Promise<void> {
  const { runId } = state;
  const planned = await stages.planShadows({ runId });
  if (planned.length === 0) return;
  state.step('shadows', { done: 0, total: planned.length });
  const shadows: ShadowRunSummary[] = [];
  for (const p of planned) {
    try {
      shadows.push(await stages.runShadow({ runId, shadowId: p.shadowId, cohortId: p.cohortId, asOf }));
    } catch (err) {
      if (isCancellation(err)) throw err;
      shadows.push({
        shadowId: p.shadowId,
        cohortId: p.cohortId,
        liveSize: null,
        shadowSize: null,
        overlap: null,
        adds: null,
        removes: null,
        jaccard: null,
        verdict: null,
        liveVerdict: null,
        runsRemaining: null,
        status: 'active',
        error: err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err),
      });
    }
    state.cohortDone();
  }
  state.status.shadows = shadows;
}
