import { msToNumber } from '@temporalio/common/lib/time';
import { ApplicationFailure, condition } from '@temporalio/workflow';
import { stages } from './activities';
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
import type { RefreshState } from './refresh-state';
import type { ApprovalDecision, CohortReport, DecisionInput, RefreshInput, SnapshotRef, SourceReport } from '../shared';

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

  constructor(
    private readonly state: RefreshState,
    private readonly input: RefreshInput,
  ) {}

  /** Opens the gate for what the policy flags and waits until it closes or expires. */
  async wait(snapshots: SnapshotRef[], reports: CohortReport[], sources: SourceReport[]): Promise<GateOutcome> {
    const { status } = this.state;
    const gate = openGate(status.runId, this.input.requestedBy, this.input.policy, snapshots, reports, sources);
    const flagged = waiting(gate);
    if (flagged.length === 0) {
      this.gate = gate;
      return this.close();
    }
    const timeout = msToNumber(this.input.policy.deadline);
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

    const reminders = (this.input.policy.reminders ?? [])
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
      comment: `no decision within ${this.input.policy.deadline}`,
    };
    status.pendingApproval = undefined;
    status.decision = decision;
    status.failure = `the approval deadline (${this.input.policy.deadline}) passed with ${left.join(', ')} still waiting; nothing was published`;
    await stages.audit({
      runId: status.runId,
      actor: 'cohortflow',
      action: 'decision.expired',
      details: { deadline: this.input.policy.deadline, waiting: left },
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

  /** Why the decision cannot be taken now, or undefined when it can. */
  private refusalNow(d: DecisionInput): string | undefined {
    const { status } = this.state;
    if (status.decision)
      return `run ${status.runId} is no longer awaiting approval: it was ${status.decision.kind} by ${status.decision.by} at ${status.decision.at}; nothing changed`;
    if (!this.gate || status.stage !== 'awaiting-approval' || gateClosed(this.gate))
      return `run ${status.runId} is not awaiting approval (stage: ${status.stage})`;
    return refusal(this.gate, d);
  }

  /** The Update's validator: a refused decision is answered at once and never enters the history. */
  validate(d: DecisionInput): void {
    if (!DECISIONS.includes(d.decision))
      throw new Error(`decision must be one of ${DECISIONS.join(', ')}, got "${String(d.decision)}"`);
    if (d.cohorts !== undefined && (!Array.isArray(d.cohorts) || d.cohorts.some((c) => typeof c !== 'string')))
      throw new Error('cohorts must be a list of cohort ids');
    const why = this.refusalNow(d);
    if (why) throw new Error(why);
  }

  async take(d: DecisionInput, via: ApprovalDecision['via']): Promise<ApprovalDecision> {
    // Checked again: another decision may have been applied since this one was validated.
    const why = this.refusalNow(d);
    if (why) throw ApplicationFailure.nonRetryable(why, 'DecisionRefused');
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

  /** A signal has no caller to answer: an invalid one is ignored, shown in the status and audited. */
  async takeSignal(d: DecisionInput): Promise<void> {
    const why = DECISIONS.includes(d.decision) ? this.refusalNow(d) : `unknown decision ${String(d.decision)}`;
    if (!why) {
      await this.take(d, 'signal');
      return;
    }
    this.state.status.ignored.push({ name: d.decision, from: d.approver, reason: why, at: new Date().toISOString() });
    await stages.audit({
      runId: this.state.status.runId,
      actor: d.approver,
      action: 'decision.ignored',
      details: { via: 'signal', decision: d.decision, cohorts: d.cohorts ?? null, reason: why },
    });
  }
}
