import { stages } from './activities';
import type { GateOutcome } from './approval-gate';
import type { RefreshState } from './refresh-state';
import type { RefreshInput } from '../shared';

// The model versions a refresh carries through its approval gate: fitted by the quarterly run
// before it computes, decided by the people who decide the run.

/** Fits a version of each model as of asOf and claims the proposed ones: this run's gate decides them. */
export async function proposeModels(state: RefreshState, input: RefreshInput, asOf: string): Promise<void> {
  state.step('models');
  const { runId } = state;
  const models = await stages.proposeModels({ runId, asOf, author: input.requestedBy, rationale: input.rationale });
  state.status.models = models;
  await stages.audit({ runId, actor: 'cohortflow', action: 'models.proposed', details: models });
}

/**
 * The gate's decision decides the model versions the run carries: promoted only by people who
 * approved (a gate that needed nobody leaves them proposed for a later run), else rejected.
 */
export async function decideModels(state: RefreshState, approval: GateOutcome): Promise<void> {
  const models = state.status.models;
  if (!models || models.proposals.length === 0) return;
  const { decision } = approval;
  const approvers = [
    ...new Set(
      Object.values(approval.approvedBy)
        .flatMap((by) => by.split(', '))
        .filter((by) => by !== 'policy' && by !== ''),
    ),
  ];
  const verdict = decision.kind === 'approved' ? (approvers.length > 0 ? 'approved' : 'unseen') : 'rejected';
  const decided = await stages.decideModels({ runId: state.runId, decision: verdict, by: decision.by, approvers });
  for (const p of models.proposals)
    p.outcome = decided.promoted.includes(p.modelId)
      ? 'current'
      : decided.rejected.includes(p.modelId)
        ? 'rejected'
        : 'proposed';
  await stages.audit({
    runId: state.runId,
    actor: decision.by,
    action: 'models.decided',
    details: { decision: decision.kind, ...decided },
  });
}
