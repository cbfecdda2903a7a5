// The approval gate of runs started before the governed gate (approval-gate.ts): one decision
// for the whole run. Kept so that those runs replay and finish as they began.
import { condition, setHandler } from '@temporalio/workflow';
import { durationMs } from './duration';
import { approveSignal, decide, rejectSignal } from './messages';
import type { RefreshState } from './refresh-state';
import type { ApprovalDecision, CohortReport, DecisionInput, RefreshInput, SourceReport } from '../shared';
import { stages } from './activities';

/** Strategic cohorts always need a human; tactical ones when any check warns or fails. */
export function approvalNeeded(
  reports: CohortReport[],
  tiers: string[],
  sources: SourceReport[] = [],
): string | undefined {
  if (tiers.includes('strategic')) return 'strategic cohorts always need approval';
  const flagged = reports.filter((r) => r.verdict !== 'pass').map((r) => `${r.cohortId} (${r.verdict})`);
  if (flagged.length > 0) return `baseline checks flagged: ${flagged.join(', ')}`;
  const degraded = sources.filter((s) => s.verdict !== 'pass').map((s) => `${s.source} (${s.verdict})`);
  if (degraded.length > 0) return `data quality warnings: ${degraded.join(', ')}`;
  return undefined;
}

/** Why a decision cannot be taken now, or undefined when it can. */
function refusal(state: RefreshState, input: RefreshInput, approver: string): string | undefined {
  if (state.status.stage !== 'awaiting-approval' || state.status.decision) {
    return `run ${state.status.runId} is not awaiting approval (stage: ${state.status.stage})`;
  }
  if (approver === input.requestedBy) {
    return `${approver} requested this run and cannot approve it (four eyes)`;
  }
  if (!input.policy.approvers.includes(approver)) {
    return `${approver} is not an approver (approvers: ${input.policy.approvers.join(', ') || 'none configured'})`;
  }
  return undefined;
}

/**
 * Registers the decision handlers. They are live for the whole run so that a decision sent
 * at the wrong time is answered (Update) or recorded (signal) instead of vanishing.
 */
export function installLegacyDecisionHandlers(state: RefreshState, input: RefreshInput): void {
  const take = (d: DecisionInput, via: ApprovalDecision['via']): ApprovalDecision => {
    const decision: ApprovalDecision = {
      kind: d.decision === 'approve' ? 'approved' : 'rejected',
      by: d.approver,
      at: new Date().toISOString(),
      comment: d.comment,
      via,
    };
    state.status.decision = decision;
    return decision;
  };

  setHandler(
    decide,
    async (d) => {
      const decision = take(d, 'update');
      await stages.audit({
        runId: state.status.runId,
        actor: d.approver,
        action: `decision.${decision.kind}`,
        details: { via: 'update', comment: d.comment ?? null },
      });
      return decision;
    },
    {
      validator: (d) => {
        if (d.decision !== 'approve' && d.decision !== 'reject')
          throw new Error(`decision must be approve or reject, got "${String(d.decision)}"`);
        const why = refusal(state, input, d.approver);
        if (why) throw new Error(why);
      },
    },
  );

  const onSignal = (decision: DecisionInput['decision']) => async (d: Omit<DecisionInput, 'decision'>) => {
    const why = refusal(state, input, d.approver);
    if (why) {
      state.status.ignored.push({ name: decision, from: d.approver, reason: why, at: new Date().toISOString() });
      await stages.audit({
        runId: state.status.runId,
        actor: d.approver,
        action: 'decision.ignored',
        details: { via: 'signal', decision, reason: why },
      });
      return;
    }
    const taken = take({ ...d, decision }, 'signal');
    await stages.audit({
      runId: state.status.runId,
      actor: d.approver,
      action: `decision.${taken.kind}`,
      details: { via: 'signal', comment: d.comment ?? null },
    });
  };
  setHandler(approveSignal, onSignal('approve'));
  setHandler(rejectSignal, onSignal('reject'));
}

/** Waits durably for a human decision until the policy's deadline; silence means expired. */
export async function legacyApprovalGate(
  state: RefreshState,
  input: RefreshInput,
  reports: CohortReport[],
): Promise<ApprovalDecision> {
  const reason = approvalNeeded(
    reports,
    state.status.cohorts.map((c) => c.tier),
    state.status.ingest?.sources,
  );
  if (!reason) {
    const decision: ApprovalDecision = {
      kind: 'approved',
      by: 'policy',
      at: new Date().toISOString(),
      via: 'policy',
      comment: 'all checks passed; tactical cohorts need no human',
    };
    state.status.decision = decision;
    return decision;
  }
  const timeout = durationMs(input.policy.deadline);
  const since = new Date();
  state.status.pendingApproval = {
    since: since.toISOString(),
    deadline: new Date(since.getTime() + timeout).toISOString(),
    approvers: input.policy.approvers.filter((a) => a !== input.requestedBy),
    reason,
  };
  state.enter('awaiting-approval');
  await stages.audit({
    runId: state.status.runId,
    actor: 'cohortflow',
    action: 'approval.requested',
    details: { reason, deadline: state.status.pendingApproval.deadline },
  });

  const decided = await condition(() => state.status.decision !== undefined, timeout);
  state.status.pendingApproval = undefined;
  if (decided && state.status.decision) return state.status.decision;

  const expired: ApprovalDecision = {
    kind: 'expired',
    by: 'deadline',
    at: new Date().toISOString(),
    via: 'deadline',
    comment: `no decision within ${input.policy.deadline}`,
  };
  state.status.decision = expired;
  await stages.audit({
    runId: state.status.runId,
    actor: 'cohortflow',
    action: 'decision.expired',
    details: { deadline: input.policy.deadline },
  });
  return expired;
}
