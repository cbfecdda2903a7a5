import { msToNumber } from '@temporalio/common/lib/time';
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { proofChecks, stages } from './activities';
import {
  applyDecision,
  eligibleApprovers,
  excluded,
  gateClosed,
  gateResult,
  openGate,
  refusal,
  waiting,
  type GateState,
} from './approval-rules';
import { sameCohorts, sortedUnique } from './proof-rules';
import type { RefreshState } from './refresh-state';
import type {
  ApprovalDecision,
  ApprovalPolicy,
  CohortReport,
  DecisionInput,
  ProofExpectation,
  RefreshInput,
  SnapshotRef,
  SourceReport,
} from '../shared';

export interface GateOutcome {
  decision: ApprovalDecision;
  /** Cohorts to publish: approved by people, or needing none by policy. */
  publish: string[];
  heldBack: string[];
  /** Per published cohort: who approved it, or 'policy'. */
  approvedBy: Record<string, string>;
}

const DECISIONS: ReadonlyArray<DecisionInput['decision']> = ['approve', 'reject', 'request-changes'];

/**
 * The approval gate: each cohort the policy flags waits for its tier's approvers (distinct
 * people, as many as the tier needs), reminders go out on the policy's schedule, and at the
 * deadline the run expires with nothing published. Decisions arrive as Updates (answered with a
 * reason when refused) or signals (ignored and audited when invalid); the workflow routes them
 * here for its whole life, so one sent at the wrong time is answered instead of vanishing.
 */
export class ApprovalGate {
  private gate?: GateState;
  private policy!: ApprovalPolicy;
  /** Nonces of the proofs already used: each proof decides once. */
  private readonly usedProofs = new Set<string>();

  constructor(
    private readonly state: RefreshState,
    private readonly input: RefreshInput,
  ) {}

  /** Opens the gate for what the policy flags and waits until it closes or expires. */
  async wait(
    policy: ApprovalPolicy,
    snapshots: SnapshotRef[],
    reports: CohortReport[],
    sources: SourceReport[],
  ): Promise<GateOutcome> {
    const { status } = this.state;
    this.policy = policy;
    const gate = openGate(status.runId, this.input.requestedBy, policy, snapshots, reports, sources);
    const flagged = waiting(gate);
    if (flagged.length === 0) {
      this.gate = gate;
      return this.close();
    }
    const timeout = msToNumber(this.policy.deadline);
    const since = Date.now();
    const deadline = new Date(since + timeout).toISOString();
    const reason = flagged.map((c) => `${c.cohortId}: ${c.reason}`).join(' | ');
    status.approval = {
      since: new Date(since).toISOString(),
      deadline,
      reason,
      approvers: eligibleApprovers(gate),
      excluded: excluded(gate),
      cohorts: gate.cohorts,
      remindersSent: 0,
    };
    status.pendingApproval = { since: status.approval.since, deadline, approvers: status.approval.approvers, reason };
    this.gate = gate;
    this.state.enter('awaiting-approval');
    await stages.audit({
      runId: status.runId,
      actor: 'cohortflow',
      action: 'approval.requested',
      details: {
        deadline,
        approvers: status.approval.approvers,
        excluded: status.approval.excluded,
        cohorts: flagged.map((c) => ({
          cohortId: c.cohortId,
          reason: c.reason,
          approvalsRequired: c.approvalsRequired,
        })),
      },
    });
    await this.notify('opened');

    const reminders = (this.policy.reminders ?? [])
      .map((r) => msToNumber(r))
      .filter((ms) => ms < timeout)
      .sort((a, b) => a - b);
    for (;;) {
      const next = reminders[status.approval.remindersSent] ?? timeout;
      if (await condition(() => gateClosed(gate), Math.max(0, since + next - Date.now()))) break;
      if (next === timeout) return this.expire();
      status.approval.remindersSent += 1;
      await stages.audit({
        runId: status.runId,
        actor: 'cohortflow',
        action: 'approval.reminded',
        details: { reminder: status.approval.remindersSent, waiting: waiting(gate).map((c) => c.cohortId) },
      });
      await this.notify('reminder');
    }
    return this.close();
  }

  private close(): GateOutcome {
    const result = gateResult(this.gate!, new Date().toISOString());
    this.state.status.pendingApproval = undefined;
    this.state.status.decision = result.decision;
    return result;
  }

  private async expire(): Promise<GateOutcome> {
    const { status } = this.state;
    const left = waiting(this.gate!).map((c) => c.cohortId);
    const decision: ApprovalDecision = {
      kind: 'expired',
      by: 'deadline',
      at: new Date().toISOString(),
      via: 'deadline',
      comment: `no decision within ${this.policy.deadline}`,
    };
    status.pendingApproval = undefined;
    status.decision = decision;
    status.failure = `the approval deadline (${this.policy.deadline}) passed with ${left.join(', ')} still waiting; nothing was published`;
    await stages.audit({
      runId: status.runId,
      actor: 'cohortflow',
      action: 'decision.expired',
      details: { deadline: this.policy.deadline, waiting: left },
    });
    await this.notify('expired');
    return { decision, publish: [], heldBack: [], approvedBy: {} };
  }

  private notify(event: 'opened' | 'reminder' | 'expired'): Promise<void> {
    const { status } = this.state;
    const approval = status.approval!;
    return stages.notifyApprovers({
      runId: status.runId,
      event,
      reminder: approval.remindersSent,
      approvers: approval.approvers,
      deadline: approval.deadline,
      requestedBy: this.input.requestedBy,
      rationale: this.input.rationale,
      waiting: waiting(this.gate!).map((c) => ({
        cohortId: c.cohortId,
        tier: c.tier,
        reason: c.reason,
        approvalsNeeded: c.approvalsRequired - c.approvals.length,
      })),
    });
  }

  /** Why no decision can be taken now (the gate is not open), or undefined. */
  private closedNow(): string | undefined {
    const { status } = this.state;
    if (status.decision)
      return `run ${status.runId} is no longer awaiting approval: it was ${status.decision.kind} by ${status.decision.by} at ${status.decision.at}; nothing changed`;
    if (!this.gate || status.stage !== 'awaiting-approval' || gateClosed(this.gate))
      return `run ${status.runId} is not awaiting approval (stage: ${status.stage})`;
    return undefined;
  }

  /** Why the decision cannot be taken now, or undefined when it can. */
  private refusalNow(d: DecisionInput): string | undefined {
    return this.closedNow() ?? refusal(this.gate!, d);
  }

  /** The Update's validator: a refused decision is answered at once and never enters the history. */
  validate(d: DecisionInput): void {
    const why = malformed(d) ?? this.refusalNow(d);
    if (why) throw new Error(why);
    // Checking the signature needs node:crypto (a local activity): the handler does it.
    if (typeof d.proof !== 'string' || !d.proof)
      throw new Error(
        `the decision carries no proof that ${d.approver} sent it; ask the cohortflow API for one (cohortflow refresh proof)`,
      );
  }

  /** What the decision's proof must cover: its approver, decision, this run, its cohorts, its comment. */
  private expectation(d: DecisionInput): ProofExpectation {
    const runWide = !d.cohorts?.length;
    return {
      user: d.approver,
      action: d.decision,
      workflowId: this.state.runId,
      cohorts: runWide ? waiting(this.gate!).map((c) => c.cohortId) : sortedUnique(d.cohorts!),
      runWide,
      text: d.comment ?? '',
    };
  }

  /**
   * Why the decision cannot be taken, or undefined once its proof checked out and nothing
   * changed meanwhile; `proven` says whether the approver's name can be believed.
   */
  private async admit(d: DecisionInput): Promise<{ why?: string; proven: boolean }> {
    const before = malformed(d) ?? this.closedNow();
    if (before) return { why: before, proven: false };
    // The proof first, so that a refusal names a sender it can believe.
    const expected = this.expectation(d);
    const check = await proofChecks.verifyProof({ proof: d.proof, expected });
    if (!check.valid) return { why: `unproven decision: ${check.reason}`, proven: false };
    // After the await: another decision may have been taken meanwhile.
    const after = this.refusalNow(d);
    if (after) return { why: after, proven: true };
    if (!sameCohorts(this.expectation(d).cohorts, expected.cohorts))
      return { why: 'the cohorts waiting changed while its proof was checked; ask for a new proof', proven: true };
    if (check.nonce && this.usedProofs.has(check.nonce))
      return { why: 'unproven decision: its proof was used already; each proof decides once', proven: false };
    if (check.nonce) this.usedProofs.add(check.nonce);
    return { proven: true };
  }

  async take(d: DecisionInput, via: ApprovalDecision['via']): Promise<ApprovalDecision> {
    const { why, proven } = await this.admit(d);
    if (why) {
      if (!proven) await this.auditRefused(d, 'decision.unproven', via, why);
      throw ApplicationFailure.nonRetryable(why, proven ? 'DecisionRefused' : 'DecisionUnproven');
    }
    return this.apply(d, via);
  }

  private async apply(d: DecisionInput, via: ApprovalDecision['via']): Promise<ApprovalDecision> {
    const decision = applyDecision(this.gate!, d, new Date().toISOString(), via);
    const approval = this.state.status.approval!;
    approval.approvers = eligibleApprovers(this.gate!);
    if (this.state.status.pendingApproval) this.state.status.pendingApproval.approvers = approval.approvers;
    (this.state.status.decisions ??= []).push(decision);
    await stages.audit({
      runId: this.state.status.runId,
      actor: d.approver,
      action: `decision.${decision.kind}`,
      details: {
        via,
        comment: d.comment ?? null,
        cohorts: decision.cohorts,
        runWide: !d.cohorts?.length,
        waiting: decision.waiting,
      },
    });
    return decision;
  }

  /** A signal has no caller to answer: an invalid or unproven one is ignored, shown in the status and audited. */
  async takeSignal(d: DecisionInput): Promise<void> {
    const { why, proven } = await this.admit(d);
    if (!why) {
      await this.apply(d, 'signal');
      return;
    }
    const from = proven ? d.approver : `${String(d?.approver)} (unproven)`;
    this.state.status.ignored.push({ name: String(d?.decision), from, reason: why, at: new Date().toISOString() });
    await this.auditRefused(d, 'decision.ignored', 'signal', why, proven);
  }

  /** An unproven name is never recorded as the actor: it is only what the message claimed. */
  private auditRefused(
    d: DecisionInput,
    action: string,
    via: ApprovalDecision['via'],
    reason: string,
    proven = false,
  ): Promise<void> {
    return stages.audit({
      runId: this.state.status.runId,
      actor: proven ? d.approver : 'unproven',
      action,
      details: {
        via,
        decision: typeof d?.decision === 'string' ? d.decision : null,
        claimedBy: typeof d?.approver === 'string' ? d.approver : null,
        cohorts: Array.isArray(d?.cohorts) ? d.cohorts : null,
        reason,
      },
    });
  }
}

/** A message that is not a decision at all: said before anything else is checked. */
function malformed(d: DecisionInput): string | undefined {
  if (typeof d !== 'object' || d === null) return 'a decision is an object: { approver, decision, proof, … }';
  if (!DECISIONS.includes(d.decision))
    return `decision must be one of ${DECISIONS.join(', ')}, got "${String(d.decision)}"`;
  if (typeof d.approver !== 'string' || !d.approver) return 'a decision names its approver';
  if (d.cohorts !== undefined && (!Array.isArray(d.cohorts) || d.cohorts.some((c) => typeof c !== 'string')))
    return 'cohorts must be a list of cohort ids';
  if (d.comment !== undefined && typeof d.comment !== 'string') return 'comment must be text';
  return undefined;
}
