// The approval policy, the decisions people take, and the gate's state.
import type { StringValue } from '@temporalio/common';
import type { Verdict } from './checks';

export type CohortTier = 'strategic' | 'tactical';

/** Who may approve cohorts of one tier, and how many distinct approvals a cohort needs. */
export interface TierApproval {
  approvers: string[];
  approvals: number;
}

/**
 * The approval policy a run decides by, groups already resolved to users: the server's
 * configured policy, read by the worker when the run starts, so the history shows it and a later
 * edit never changes a run already waiting. Never taken from a run's input.
 */
export interface ApprovalPolicy {
  /** Users who may approve any tier `tiers` does not name; the requester never may (four eyes). */
  approvers: string[];
  /** How long the gate waits, e.g. '72h'; then the run expires and nothing is published. */
  deadline: StringValue;
  /** Tiers whose cohorts always need a human (default: strategic). */
  alwaysFor?: CohortTier[];
  /** Verdicts that make any cohort need a human (default: warn, fail). */
  verdicts?: Verdict[];
  /** Per tier: approvers and approvals needed (default: `approvers`, 1). */
  tiers?: Partial<Record<CohortTier, TierApproval>>;
  /** When to remind approvers, counted from the gate's opening, e.g. ['24h', '48h']. */
  reminders?: StringValue[];
}

/** reject holds back the named cohorts, or the whole run when none are named. */
export type DecisionKind = 'approve' | 'reject' | 'request-changes';

export interface DecisionInput {
  approver: string;
  decision: DecisionKind;
  comment?: string;
  /** The cohorts decided; default: every cohort still waiting. */
  cohorts?: string[];
  /** The run the approver means; a decision naming another run is refused. */
  runId?: string;
  /**
   * Proof that `approver` decided this, signed by the cohortflow API for this run, decision,
   * cohorts and comment (`cohortflow refresh proof`); a decision without a valid one is refused.
   */
  proof?: string;
}

export interface ApprovalDecision {
  kind: 'approved' | 'rejected' | 'expired' | 'changes-requested';
  by: string;
  at: string;
  comment?: string;
  /** 'policy' when no human was needed. */
  via: 'update' | 'signal' | 'policy' | 'deadline';
  /** The cohorts this decision covered. */
  cohorts?: string[];
  /** Cohorts still waiting after this decision, with the approvals they still need. */
  waiting?: Array<{ cohortId: string; approvalsNeeded: number }>;
}

/** One cohort at the approval gate. */
export interface CohortApproval {
  cohortId: string;
  tier: CohortTier;
  /** auto: the policy needs no human for it. held: an approver held it back. */
  state: 'auto' | 'waiting' | 'approved' | 'held';
  /** Why a human must look, e.g. 'strategic cohort' or 'checks warn: churn, drift(plan)'. */
  reason: string;
  approvalsRequired: number;
  approvals: Array<{ by: string; at: string; comment?: string }>;
  heldBy?: { by: string; at: string; comment?: string };
  /** True when a check failed: approving it needs a comment that says why. */
  failed: boolean;
}

export interface ApprovalGateStatus {
  since: string;
  deadline: string;
  reason: string;
  /** Who may still decide: the tiers' approvers minus the requester and definition authors. */
  approvers: string[];
  /** Requester and authors of changed definitions: they may not decide (four eyes). */
  excluded: string[];
  cohorts: CohortApproval[];
  remindersSent: number;
}

export interface IgnoredMessage {
  name: string;
  from: string;
  reason: string;
  at: string;
}
