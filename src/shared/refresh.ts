// Types that cross the workflow boundary. Only references and small figures: ids, counts,
// hashes, verdicts. Member lists never leave Postgres.
import type { StringValue } from '@temporalio/common';
import type { ApprovalDecision, ApprovalGateStatus, CohortTier, IgnoredMessage } from './approval';
import type { CohortReport, Verdict } from './checks';
import type { IngestSummary } from './ingest';
import type { RunProgress } from './progress';
import type { RollbackRecord, WatchWindowStatus } from './rollback';

export type Cadence = 'monthly' | 'quarterly' | 'adhoc';
export type TierScope = 'tactical' | 'strategic' | 'all';

export interface RefreshInput {
  cadence: Cadence;
  tier: TierScope;
  requestedBy: string;
  rationale: string;
  /** ISO timestamp; defaults to the workflow's start time. */
  asOf?: string;
  /** How long after publishing the run stays open for a rollback, e.g. '7d'; '0s' closes it at once. */
  watchWindow?: StringValue;
  /** Wait for the tier's active refresh to settle instead of being refused (stage `queued`). */
  queue?: boolean;
  /**
   * Proof, signed by the cohortflow API (or, for a schedule, when the schedules were written),
   * that `requestedBy` asked for exactly this input; a run without a valid one stops before ingest.
   */
  requestProof?: string;
}

export interface SnapshotRef {
  cohortId: string;
  snapshotId: string;
  definitionVersion: number;
  tier: CohortTier;
  size: number;
  contentHash: string;
}

export type RefreshStage =
  'queued' | 'ingest' | 'compute' | 'baseline-test' | 'awaiting-approval' | 'publish' | 'watching' | 'done';

export type RefreshOutcomeKind = 'published' | 'rejected' | 'changes-requested' | 'expired' | 'failed';

export interface RefreshStatus {
  runId: string;
  stage: RefreshStage;
  cadence: Cadence;
  tier: TierScope;
  requestedBy: string;
  /** While queued: the active run of the tier this one waits for. */
  queuedBehind?: string;
  /** Unset until ingest is done, when a run without a requested asOf fixes it. */
  asOf?: string;
  ingest?: IngestSummary;
  cohorts: Array<SnapshotRef & { verdict?: Verdict }>;
  reports: CohortReport[];
  pendingApproval?: { since: string; deadline: string; approvers: string[]; reason: string };
  /** The gate's per-cohort state; it stays after the gate closes. */
  approval?: ApprovalGateStatus;
  /** Every decision taken, in order. */
  decisions?: ApprovalDecision[];
  decision?: ApprovalDecision;
  ignored: IgnoredMessage[];
  outcome?: RefreshOutcomeKind;
  /** Why the run stopped without publishing, when a check failed before the gate. */
  failure?: string;
  /** After publish: how long rollbacks are taken. */
  watch?: WatchWindowStatus;
  /**
   * How far the running stage has come: the workflow sets the step and its cohort counts; the
   * client adds the activities' heartbeats (files, rows, batches) and an estimate of time left.
   */
  progress?: RunProgress;
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
