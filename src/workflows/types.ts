// Types that cross the workflow boundary. Only references and small figures: ids, counts,
// hashes, verdicts. Member lists never leave Postgres.

export type Cadence = 'monthly' | 'quarterly' | 'adhoc';
export type TierScope = 'tactical' | 'strategic' | 'all';
export type Verdict = 'pass' | 'warn' | 'fail';

export interface ApprovalPolicy {
  /** Users who may approve; the requester never may (four eyes). */
  approvers: string[];
  /** How long the gate waits, e.g. '72h'; then the run expires and nothing is published. */
  deadline: string;
}

export interface RefreshInput {
  cadence: Cadence;
  tier: TierScope;
  requestedBy: string;
  rationale: string;
  /** ISO timestamp; defaults to the workflow's start time. */
  asOf?: string;
  policy: ApprovalPolicy;
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

/**
 * What the workflow learns from a cohort's baseline tests: the verdict, the checks that did not
 * pass (one line each), and who wrote definition versions since the last publish (four eyes).
 * The full report, with every figure, stays in Postgres (baseline_reports).
 */
export interface CohortReport {
  cohortId: string;
  snapshotId: string;
  verdict: Verdict;
  checks: CheckResult[];
  /** Authors of definition versions newer than the published one; they may not approve the run. */
  changedBy?: string[];
}

export type DecisionKind = 'approve' | 'reject';

export interface DecisionInput {
  approver: string;
  decision: DecisionKind;
  comment?: string;
}

export interface ApprovalDecision {
  kind: 'approved' | 'rejected' | 'expired';
  by: string;
  at: string;
  comment?: string;
  /** 'policy' when no human was needed. */
  via: 'update' | 'signal' | 'policy' | 'deadline';
}

export type RefreshStage =
  | 'ingest'
  | 'compute'
  | 'baseline-test'
  | 'awaiting-approval'
  | 'publish'
  | 'done';

export type RefreshOutcomeKind = 'published' | 'rejected' | 'expired' | 'failed';

export interface IgnoredMessage {
  name: string;
  from: string;
  reason: string;
  at: string;
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
  decision?: ApprovalDecision;
  ignored: IgnoredMessage[];
  outcome?: RefreshOutcomeKind;
  /** Why the run stopped without publishing, when a check failed before the gate. */
  failure?: string;
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
  deliveries: DeliveryResult[];
}
