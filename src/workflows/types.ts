// Types that cross the workflow boundary. Only references and small figures: ids, counts,
// hashes, verdicts. Member lists never leave Postgres.

export type Cadence = 'monthly' | 'quarterly' | 'adhoc';
export type TierScope = 'tactical' | 'strategic' | 'all';
export type Verdict = 'pass' | 'warn' | 'fail';

export type CohortTier = 'strategic' | 'tactical';

/** Who may approve cohorts of one tier, and how many distinct approvals a cohort needs. */
export interface TierApproval {
  approvers: string[];
  approvals: number;
}

/**
 * The approval policy a run was started with, groups already resolved to users, so the run
 * decides by the rules of its start and the history shows them.
 */
export interface ApprovalPolicy {
  /** Users who may approve; the requester never may (four eyes). Runs before the governed gate read only this and `deadline`. */
  approvers: string[];
  /** How long the gate waits, e.g. '72h'; then the run expires and nothing is published. */
  deadline: string;
  /** Tiers whose cohorts always need a human (default: strategic). */
  alwaysFor?: CohortTier[];
  /** Verdicts that make any cohort need a human (default: warn, fail). */
  verdicts?: Verdict[];
  /** Per tier: approvers and approvals needed (default: `approvers`, 1). */
  tiers?: Partial<Record<CohortTier, TierApproval>>;
  /** When to remind approvers, counted from the gate's opening, e.g. ['24h', '48h']. */
  reminders?: string[];
}

export interface RefreshInput {
  cadence: Cadence;
  tier: TierScope;
  requestedBy: string;
  rationale: string;
  /** ISO timestamp; defaults to the workflow's start time. */
  asOf?: string;
  policy: ApprovalPolicy;
  /** How long after publishing the run stays open for a rollback, e.g. '7d'; '0s' closes it at once. */
  watchWindow?: string;
}

/** Always adds up: rowsRead = stored + duplicates + quarantined. */
export interface IngestCounts {
  filesRead: number;
  filesSkipped: number;
  rowsRead: number;
  stored: number;
  duplicates: number;
  quarantined: number;
}

export interface SourceReport extends IngestCounts {
  source: string;
  kind: string;
  verdict: Verdict;
  checks: CheckResult[];
}

/** The counts are the sums of the sources' counts. */
export interface IngestSummary extends IngestCounts {
  runId: string;
  /** Events stored before their customer was known, then attributed in this run. */
  lateAttributed: number;
  /** Newest event time stored per source, ISO. */
  watermarks: Record<string, string>;
  sources: SourceReport[];
}

export interface SnapshotRef {
  cohortId: string;
  snapshotId: string;
  definitionVersion: number;
  tier: 'strategic' | 'tactical';
  size: number;
  contentHash: string;
}

export type CheckName =
  // cohort checks (src/baseline)
  | 'min_size'
  | 'empty'
  | 'size_shift'
  | 'size_vs_baseline'
  | 'churn'
  | 'blast_radius'
  | 'drift'
  | 'value_shift'
  | 'definition_change'
  // data-source checks (src/ingest/quality.ts)
  | 'freshness'
  | 'volume'
  | 'quarantine_rate'
  | 'null_rate';

export interface CheckResult {
  name: CheckName;
  /** What the check looked at when it has several subjects, e.g. the attribute of a drift check. */
  subject?: string;
  verdict: Verdict;
  /** One line a person reads: the figure, the threshold, the direction. */
  reason: string;
  figures: Record<string, number | string | null>;
  thresholds: Record<string, number>;
  /** The structure behind the figures: kept in the stored report, never sent to the workflow. */
  details?: CheckDetails;
}

export interface CheckDetails {
  /** definition_change: what differs between the published definition and this one. */
  diff?: Array<{ path: string; before?: unknown; after?: unknown }>;
  /** definition_change: the versions written after the published one, up to this one. */
  versions?: Array<{ version: number; author: string; change: string; rationale: string }>;
  /** drift: members per bucket in the published snapshot and in this one. */
  buckets?: Array<{ bucket: string; previous: number; current: number }>;
}

export type FlaggedCheck = Pick<CheckResult, 'name' | 'subject' | 'verdict' | 'reason'>;

/**
 * What the workflow learns from a cohort's baseline tests: the verdict, the checks that did not
 * pass (one line each), and who wrote definition versions since the last publish (four eyes).
 * The full report, with every figure, stays in Postgres (baseline_reports).
 */
export interface CohortReport {
  cohortId: string;
  snapshotId: string;
  verdict: Verdict;
  /** Only the checks that did not pass, one line each; figures and thresholds are in the stored report. */
  checks: FlaggedCheck[];
  /** Users who wrote definition versions newer than the published one; they may not approve the run. */
  changedBy?: string[];
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
}

export interface ApprovalDecision {
  kind: 'approved' | 'rejected' | 'expired' | 'changes-requested';
  by: string;
  at: string;
  comment?: string;
  /** 'policy' when no human was needed. */
  via: 'update' | 'signal' | 'policy' | 'deadline';
  /** The cohorts this decision covered (governed gate). */
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

export type RefreshStage =
  | 'ingest'
  | 'compute'
  | 'baseline-test'
  | 'awaiting-approval'
  | 'publish'
  | 'watching'
  | 'done';

export type RefreshOutcomeKind = 'published' | 'rejected' | 'changes-requested' | 'expired' | 'failed';

export interface IgnoredMessage {
  name: string;
  from: string;
  reason: string;
  at: string;
}

/** A rollback of what the run published: who asked, why, and the cohorts to undo (default: all). */
export interface RollbackInput {
  requestedBy: string;
  reason: string;
  cohorts?: string[];
}

/** One cohort's rollback: the new version written, and the version whose snapshot is current again. */
export interface RolledBackVersion {
  cohortId: string;
  version: number;
  /** null: the run's version was the cohort's first; the cohort is withdrawn (no current snapshot). */
  restoresVersion: number | null;
  snapshotId: string | null;
  alreadyRestored: boolean;
}

export interface RollbackRecord {
  /** Written as published_versions.run_id of the new versions, e.g. `<runId>:rollback:1`. */
  rollbackId: string;
  by: string;
  reason: string;
  at: string;
  via: 'update' | 'signal';
  cohorts: string[];
  versions: RolledBackVersion[];
  deliveries: DeliveryResult[];
  /** Rollbacks taken during the watch window; the outcome stays 'published'. */
  rolledBack?: RollbackRecord[];
}

export interface WatchWindowStatus {
  window: string;
  closesAt: string;
  /** Set once the window has closed; no rollback is taken after it. */
  closed?: boolean;
}

export interface RefreshStatus {
  runId: string;
  stage: RefreshStage;
  cadence: Cadence;
  tier: TierScope;
  requestedBy: string;
  /** Unset until ingest is done, when a run without a requested asOf fixes it. */
  asOf?: string;
  ingest?: IngestSummary;
  cohorts: Array<SnapshotRef & { verdict?: Verdict }>;
  reports: CohortReport[];
  pendingApproval?: { since: string; deadline: string; approvers: string[]; reason: string };
  /** The governed gate's per-cohort state; it stays after the gate closes. */
  approval?: ApprovalGateStatus;
  /** Every decision taken, in order (governed gate). */
  decisions?: ApprovalDecision[];
  decision?: ApprovalDecision;
  ignored: IgnoredMessage[];
  outcome?: RefreshOutcomeKind;
  /** Why the run stopped without publishing, when a check failed before the gate. */
  failure?: string;
  /** After publish: how long rollbacks are taken. */
  watch?: WatchWindowStatus;
  rollbacks?: RollbackRecord[];
}

export interface DeliveryResult {
  cohortId: string;
  destination: string;
  adds: number;
  removes: number;
  delivered: boolean;
  /** True when an earlier attempt had already delivered it. */
  alreadyDelivered: boolean;
}

export interface RefreshOutcome {
  runId: string;
  outcome: RefreshOutcomeKind;
  decision?: ApprovalDecision;
  published: Array<{ cohortId: string; snapshotId: string; version: number }>;
  /** Cohorts an approver held back: computed and tested, not published. */
  heldBack?: string[];
  deliveries: DeliveryResult[];
  /** Rollbacks taken during the watch window; the outcome stays 'published'. */
  rolledBack?: RollbackRecord[];
}

/** A rollback after the watch window: restore one published version of a cohort as its current one. */
export interface CohortRollbackInput {
  cohortId: string;
  toVersion: number;
  requestedBy: string;
  reason: string;
  policy: ApprovalPolicy;
}

export type CohortRollbackOutcomeKind = 'restored' | 'rejected' | 'expired' | 'invalid';

export interface CohortRollbackStatus {
  rollbackId: string;
  cohortId: string;
  toVersion: number;
  requestedBy: string;
  reason: string;
  stage: 'validating' | 'awaiting-approval' | 'restoring' | 'done';
  tier?: CohortTier;
  /** Who may approve: the tier's approvers minus the requester (four eyes). */
  approvers: string[];
  deadline?: string;
  decision?: ApprovalDecision;
  restored?: RolledBackVersion;
  deliveries?: DeliveryResult[];
  outcome?: CohortRollbackOutcomeKind;
  failure?: string;
  ignored: IgnoredMessage[];
}
