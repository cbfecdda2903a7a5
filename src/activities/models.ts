import { MODEL_KINDS } from '../cohorts/score-measures';
import { ModelFitRefused, fitModelVersion } from '../scores/governance/fit-model';
import { claimProposals, decideProposals, type ModelVersion } from '../scores/governance/model-versions';
import { scoreRun } from '../scores/governance/score-run';
import type { ModelProposal } from '../shared';
import { heartbeating } from './compute';
import { activityLog } from './context';
import type { ActivityDeps } from './deps';

// The model lifecycle's side of a run: score its customers with the pinned versions, fit new
// versions on the quarterly cadence, and let the run's approval decide them.

/** Scores every customer at asOf with the run's pinned model versions; counts and ids come back. */
export async function scoreRunCustomers(
  deps: ActivityDeps,
  input: { runId: string; asOf: string },
): Promise<{ customers: number; models: Record<string, string> }> {
  const t0 = Date.now();
  const scored = await heartbeating(() => scoreRun(deps.db, input));
  activityLog(deps.log, { runId: input.runId }).info({ ...scored, ms: Date.now() - t0 }, 'scored customers');
  return scored;
}

const briefOf = (v: ModelVersion): ModelProposal => ({
  modelId: v.modelId,
  kind: v.kind,
  promotable: v.promotable,
  reason: v.promotionReason,
  ...(v.kind !== 'purchasing' ? { auc: (v.metrics.auc as number | null | undefined) ?? null } : {}),
  ...(v.drift ? { psi: v.drift.psi } : {}),
});

/**
 * Fits a new version of every model as of the run's asOf (once per run: a retry finds them) and
 * claims the versions operators proposed since: all go to this run's gate. A kind whose data
 * cannot carry a fit is reported, not fatal: the cohorts go on with the current versions.
 */
export async function proposeModels(
  deps: ActivityDeps,
  input: { runId: string; asOf: string; author: string; rationale: string },
): Promise<{ proposals: ModelProposal[]; refused: Array<{ kind: string; reason: string }> }> {
  const log = activityLog(deps.log, { runId: input.runId });
  const refused: Array<{ kind: string; reason: string }> = [];
  await heartbeating(async () => {
    for (const kind of MODEL_KINDS) {
      const done = await deps.db.query('SELECT 1 FROM model_versions WHERE run_id = $1 AND kind = $2 AND as_of = $3', [
        input.runId,
        kind,
        input.asOf,
      ]);
      if (done.rowCount) continue;
      try {
        const v = await fitModelVersion(deps.db, { ...input, kind, asOf: new Date(input.asOf) });
        log.info({ modelId: v.modelId, promotable: v.promotable, reason: v.promotionReason }, 'model version proposed');
      } catch (err) {
        if (!(err instanceof ModelFitRefused || err instanceof RangeError)) throw err;
        refused.push({ kind, reason: err.message });
        log.warn({ kind, reason: err.message }, 'model not fitted');
      }
    }
  });
  const proposals = (await claimProposals(deps.db, input.runId)).map(briefOf);
  return { proposals, refused };
}

/**
 * The run's decision decides its proposals: approved by people, each promotable version becomes
 * current, unless one of them fitted it (four eyes: it waits for another gate); rejected (or
 * expired), they are rejected. A run closed without a human decision leaves them proposed for a
 * later run's gate: no model becomes current unseen.
 */
export async function decideModels(
  deps: ActivityDeps,
  input: { runId: string; decision: 'approved' | 'rejected' | 'unseen'; by: string; approvers?: string[] },
): Promise<{ promoted: string[]; rejected: string[]; leftProposed: string[] }> {
  const decided = await deps.db.transaction(async (tx) => {
    if (input.decision === 'unseen') {
      const left = await tx.query<{ model_id: string }>(
        `UPDATE model_versions SET run_id = NULL WHERE run_id = $1 AND status = 'proposed' RETURNING model_id`,
        [input.runId],
      );
      return { promoted: [], rejected: [], leftProposed: left.rows.map((r) => r.model_id) };
    }
    return decideProposals(tx, {
      runId: input.runId,
      approved: input.decision === 'approved',
      by: input.by,
      approvers: input.approvers,
    });
  });
  activityLog(deps.log, { runId: input.runId }).info(
    { ...decided, decision: input.decision },
    'model versions decided',
  );
  return decided;
}
