// Types that cross the workflow boundary. Only references and small figures: ids, counts,
// hashes, verdicts. Member lists never leave Postgres.
import type { StringValue } from '@temporalio/common';
import type { ApprovalDecision, ApprovalGateStatus, CohortTier, IgnoredMessage } from './approval';
import type { CohortReport, Verdict } from './checks';
import type { IngestSummary } from './ingest';
import type { RunProgress } from './progress';
import type { RollbackRecord, WatchWindowStatus } from './rollback';
import type { ShadowRunSummary } from './shadow';

export type Cadence = 'monthly' | 'quarterly' | 'adhoc';
export type TierScope = 'tactical' | 'strategic' | 'all';

/** Where a re-run of a failed run starts again (`cohortflow refresh rerun --from`). */
export type RerunFrom = 'ingest' | 'compute' | 'baseline-test';

/** A re-run's link to the run it repeats. */
export interface RerunOf {
  /** The workflow id of the run that failed (or ended without publishing). */
  runId: string;
  from: RerunFrom;
}

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
  /** Set on a re-run: it reuses what the earlier run did before `from` (its ingest, its asOf). */
  rerun?: RerunOf;
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
  'queued' | 'ingest' | 'compute' | 'baseline-test' | 'awaiting-approval' | 'frozen' | 'publish' | 'watching' | 'done';

/**
 * How a run ended. A published run whose cohorts were rolled back in its watch window reads
 * `rolled-back` (all of them) or `partly-rolled-back` in its status and search attribute.
 */
export type RefreshOutcomeKind =
  | 'published'
  | 'rolled-back'
  | 'partly-rolled-back'
  | 'rejected'
  | 'changes-requested'
  | 'expired'
  | 'failed'
  | 'skipped';

/** A freeze window in force when the run reached publish (instants, ISO). */
export interface FreezeInForce {
  name: string;
  reason: string;
  onPublish: 'wait' | 'skip';
  start: string;
  end: string;
}

/** What a run that reached publish does about the freeze windows in force then. */
export type PublishWindow =
  | { kind: 'publish' }
  | { kind: 'wait'; until: string; freezes: FreezeInForce[] }
  | { kind: 'skip'; freezes: FreezeInForce[] };

/** Whether a run a schedule started for a slot goes ahead (docs/calendars.md, catch-up). */
export interface SlotJudgement {
  verdict: 'run' | 'already-ran' | 'superseded' | 'not-a-slot' | 'unknown-schedule';
  /** When it runs: the slot it runs for (a catch-up runs for the latest missed slot). */
  slot?: string;
  reason: string;
}

/** A run held at publish by a freeze: which freezes, until when, by which policy. */
export interface FreezeStatus {
  policy: 'wait' | 'skip';
  freezes: FreezeInForce[];
  /** When waiting: the first instant no freeze is in force. */
  until?: string;
  /** When the wait ended and publish went ahead. */
  clearedAt?: string;
}

/** A model version a run carries to its approval gate, in brief (the rest: `cohortflow models show`). */
export interface ModelProposal {
  modelId: string;
  kind: 'purchasing' | 'churn' | 'upgrade';
  promotable: boolean;
  reason: string;
  /** Validation AUC of a propensity model. */
  auc?: number | null;
  /** PSI of its scores against the current version's, when one is current. */
  psi?: number;
  /** After the decision: current, rejected, or left proposed for a later run. */
  outcome?: 'current' | 'rejected' | 'proposed';
}

export interface RefreshStatus {
  runId: string;
  stage: RefreshStage;
  cadence: Cadence;
  tier: TierScope;
  requestedBy: string;
  /** On a re-run: the run it repeats and where it started again. */
  rerunOf?: RerunOf;
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
  /** Why the run failed: a refused start, a data-quality failure, or the root cause of a stage's error. */
  failure?: string;
  /** The stage the run failed in: where `cohortflow refresh rerun` starts again by default. */
  failedAt?: RefreshStage;
  /** A scheduled run: the slot it was started for. */
  slot?: string;
  /** Why the run ended without refreshing or publishing (outcome skipped): a slot not to run, or a freeze. */
  skipped?: string;
  /** A freeze that held (or skipped) the run at publish. */
  freeze?: FreezeStatus;
  /** Model versions this run's gate decides (quarterly runs fit them); kinds a fit refused, with why. */
  models?: { proposals: ModelProposal[]; refused: Array<{ kind: string; reason: string }> };
  /** After publish: how long rollbacks are taken. */
  watch?: WatchWindowStatus;
  /**
   * How far the running stage has come: the workflow sets the step and its cohort counts; the
   * client adds the activities' heartbeats (files, rows, batches) and an estimate of time left.
   */
  progress?: RunProgress;
  rollbacks?: RollbackRecord[];
  /** Shadow definitions computed beside the live cohorts in this run: figures against the live snapshots, never published. */
  shadows?: ShadowRunSummary[];
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
