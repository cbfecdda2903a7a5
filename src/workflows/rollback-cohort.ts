import { msToNumber } from '@temporalio/common/lib/time';
import { ApplicationFailure, allHandlersFinished, condition, setHandler, workflowInfo } from '@temporalio/workflow';
import { deliveries, stages } from './activities';
import { tierRule } from './approval-rules';
import { decide, rollbackStatus } from './messages';
import type {
  ApprovalDecision,
  CohortRollbackInput,
  CohortRollbackOutcomeKind,
  CohortRollbackStatus,
  DecisionInput,
} from '../shared';

/**
 * A rollback after the watch window: check the version exists, wait for one approver of the
 * cohort's tier other than the requester (four eyes), restore that version's snapshot as a new
 * published version, deliver the diff. The restore's audit row names who asked, who approved, why.
 */
export async function rollbackCohort(input: CohortRollbackInput): Promise<CohortRollbackStatus> {
  const rollbackId = workflowInfo().workflowId;
  const status: CohortRollbackStatus = {
    rollbackId,
    cohortId: input.cohortId,
    toVersion: input.toVersion,
    requestedBy: input.requestedBy,
    reason: input.reason,
    stage: 'validating',
    approvers: [],
    ignored: [],
  };
  setHandler(rollbackStatus, () => status);
  setHandler(decide, (d) => take(status, d), { validator: (d) => refuseIf(refusal(status, d)) });

  const target = await stages.rollbackTarget({ cohortId: input.cohortId });
  if (!target.versions.includes(input.toVersion)) {
    const known = target.versions.length
      ? `its versions: ${target.versions.join(', ')}`
      : 'it has never been published';
    return finish(
      status,
      'invalid',
      `${input.cohortId} has no published version ${input.toVersion} (${known}); nothing restored`,
    );
  }
  if (target.current === input.toVersion)
    return finish(
      status,
      'invalid',
      `version ${input.toVersion} of ${input.cohortId} is already its newest version; nothing restored`,
    );
  status.tier = target.tier ?? 'strategic';
  status.approvers = tierRule(input.policy, status.tier)
    .approvers.filter((a) => a !== input.requestedBy)
    .sort();
  status.deadline = new Date(Date.now() + msToNumber(input.policy.deadline)).toISOString();
  status.stage = 'awaiting-approval';
  await stages.audit({
    runId: rollbackId,
    actor: input.requestedBy,
    action: 'rollback.requested',
    details: {
      cohortId: input.cohortId,
      toVersion: input.toVersion,
      reason: input.reason,
      approvers: status.approvers,
    },
  });
  // The same notice channels as the refresh gate, so approvers learn a rollback waits for them.
  await stages.notifyApprovers({
    runId: rollbackId,
    event: 'opened',
    reminder: 0,
    approvers: status.approvers,
    deadline: status.deadline,
    requestedBy: input.requestedBy,
    rationale: input.reason,
    waiting: [
      {
        cohortId: input.cohortId,
        tier: status.tier,
        reason: `rollback to version ${input.toVersion}`,
        approvalsNeeded: 1,
      },
    ],
  });

  if (!(await condition(() => status.decision !== undefined, input.policy.deadline))) {
    status.decision = {
      kind: 'expired',
      by: 'deadline',
      at: new Date().toISOString(),
      via: 'deadline',
      comment: `no decision within ${input.policy.deadline}`,
    };
    await stages.audit({
      runId: rollbackId,
      actor: 'cohortflow',
      action: 'decision.expired',
      details: { deadline: input.policy.deadline },
    });
    return finish(status, 'expired', `no approver decided within ${input.policy.deadline}; nothing restored`);
  }
  if (status.decision!.kind !== 'approved')
    return finish(status, 'rejected', `rejected by ${status.decision!.by}; nothing restored`);

  status.stage = 'restoring';
  status.restored = await stages.restoreVersion({
    rollbackId,
    auditRunId: rollbackId,
    cohortId: input.cohortId,
    toVersion: input.toVersion,
    requestedBy: input.requestedBy,
    approvedBy: status.decision!.by,
    reason: input.reason,
  });
  status.deliveries = await deliveries.deliverCohort({ runId: rollbackId, cohortId: input.cohortId });
  return finish(status, 'restored');
}

/** Why this decision cannot be taken, or undefined. One approval of the tier decides (four eyes). */
function refusal(status: CohortRollbackStatus, d: DecisionInput): string | undefined {
  if (status.stage !== 'awaiting-approval' || status.decision)
    return `rollback ${status.rollbackId} is not awaiting approval (stage: ${status.stage}${status.decision ? `, ${status.decision.kind} by ${status.decision.by}` : ''})`;
  if (d.decision !== 'approve' && d.decision !== 'reject')
    return `a rollback is approved or rejected, not "${String(d.decision)}"`;
  if (d.approver === status.requestedBy)
    return `${d.approver} requested this rollback and cannot decide it (four eyes)`;
  if (!status.approvers.includes(d.approver))
    return `${d.approver} may not decide a rollback of ${status.cohortId} (${status.tier} approvers: ${status.approvers.join(', ') || 'nobody configured'})`;
  return undefined;
}

function refuseIf(why: string | undefined): void {
  if (why) throw new Error(why);
}

async function take(status: CohortRollbackStatus, d: DecisionInput): Promise<ApprovalDecision> {
  const why = refusal(status, d);
  if (why) throw ApplicationFailure.nonRetryable(why, 'DecisionRefused');
  const decision: ApprovalDecision = {
    kind: d.decision === 'approve' ? 'approved' : 'rejected',
    by: d.approver,
    at: new Date().toISOString(),
    comment: d.comment,
    via: 'update',
    cohorts: [status.cohortId],
  };
  status.decision = decision;
  await stages.audit({
    runId: status.rollbackId,
    actor: d.approver,
    action: `decision.${decision.kind}`,
    details: { comment: d.comment ?? null, cohortId: status.cohortId, toVersion: status.toVersion },
  });
  return decision;
}

async function finish(
  status: CohortRollbackStatus,
  outcome: CohortRollbackOutcomeKind,
  failure?: string,
): Promise<CohortRollbackStatus> {
  status.outcome = outcome;
  status.stage = 'done';
  if (failure) status.failure = failure;
  // Let a decision handler that is still auditing finish before the run closes.
  await condition(allHandlersFinished);
  return status;
}
