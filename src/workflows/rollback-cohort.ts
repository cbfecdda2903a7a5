import { msToNumber } from '@temporalio/common/lib/time';
import { ApplicationFailure, allHandlersFinished, condition, setHandler, workflowInfo } from '@temporalio/workflow';
import { deliveries, proofChecks, stages } from './activities';
import { tierRule } from './approval-rules';
import { decide, rollbackStatus } from './messages';
import { rollbackStartExpectation } from './proof-rules';
import type {
  ApprovalDecision,
  ApprovalPolicy,
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
  const used = new Set<string>();
  setHandler(rollbackStatus, () => status);
  setHandler(decide, (d) => take(status, d, used), { validator: (d) => refuseIf(refusal(status, d) ?? noProof(d)) });

  // Who asked and by which rules are proven before anyone is asked: a forged start stops here.
  const refused = await startRefusal(input, rollbackId);
  if (refused) {
    status.requestedBy = `${input.requestedBy} (unproven)`;
    await stages.audit({
      runId: rollbackId,
      actor: 'unproven',
      action: 'rollback.refused',
      details: { claimedBy: input.requestedBy, reason: refused },
    });
    return finish(status, 'invalid', `start refused — ${refused}`);
  }
  const policy: ApprovalPolicy = await stages.approvalPolicy({ runId: rollbackId });
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
  status.approvers = tierRule(policy, status.tier)
    .approvers.filter((a) => a !== input.requestedBy)
    .sort();
  status.deadline = new Date(Date.now() + msToNumber(policy.deadline)).toISOString();
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

  if (!(await condition(() => status.decision !== undefined, policy.deadline))) {
    status.decision = {
      kind: 'expired',
      by: 'deadline',
      at: new Date().toISOString(),
      via: 'deadline',
      comment: `no decision within ${policy.deadline}`,
    };
    await stages.audit({
      runId: rollbackId,
      actor: 'cohortflow',
      action: 'decision.expired',
      details: { deadline: policy.deadline },
    });
    return finish(status, 'expired', `no approver decided within ${policy.deadline}; nothing restored`);
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

async function startRefusal(input: CohortRollbackInput, rollbackId: string): Promise<string | undefined> {
  if ('policy' in input)
    return 'forged policy: the start input carries an approval policy, but a run decides only by the policy the server is configured with';
  const check = await proofChecks.verifyStart({
    proof: input.requestProof,
    expected: rollbackStartExpectation(input, rollbackId),
  });
  return check.valid ? undefined : `unproven start: ${check.reason}`;
}

const noProof = (d: DecisionInput): string | undefined =>
  typeof d.proof === 'string' && d.proof
    ? undefined
    : `the decision carries no proof that ${d.approver} sent it; ask the cohortflow API for one (cohortflow rollbacks proof)`;

/** Why this decision cannot be taken, or undefined. One approval of the tier decides (four eyes). */
function refusal(status: CohortRollbackStatus, d: DecisionInput): string | undefined {
  if (typeof d !== 'object' || d === null || typeof d.approver !== 'string' || !d.approver)
    return 'a decision is an object naming its approver: { approver, decision, proof, comment? }';
  if (d.comment !== undefined && typeof d.comment !== 'string') return 'comment must be text';
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

async function take(status: CohortRollbackStatus, d: DecisionInput, used: Set<string>): Promise<ApprovalDecision> {
  const before = refusal(status, d);
  if (before) throw ApplicationFailure.nonRetryable(before, 'DecisionRefused');
  const check = await proofChecks.verifyProof({
    proof: d.proof,
    expected: {
      user: d.approver,
      action: d.decision === 'approve' ? 'rollback-approve' : 'rollback-reject',
      workflowId: status.rollbackId,
      cohorts: [status.cohortId],
      runWide: false,
      text: d.comment ?? '',
    },
  });
  const unproven = !check.valid
    ? `unproven decision: ${check.reason}`
    : check.nonce && used.has(check.nonce)
      ? 'unproven decision: its proof was used already; each proof decides once'
      : undefined;
  if (unproven) {
    await stages.audit({
      runId: status.rollbackId,
      actor: 'unproven',
      action: 'decision.unproven',
      details: { claimedBy: d.approver, decision: d.decision, reason: unproven },
    });
    throw ApplicationFailure.nonRetryable(unproven, 'DecisionUnproven');
  }
  if (check.valid && check.nonce) used.add(check.nonce);
  // Checked again after the await: another decision may have been taken meanwhile.
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
