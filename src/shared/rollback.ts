// Rollbacks: during a run's watch window, and later by a rollback run.
import type { ApprovalDecision, CohortTier, IgnoredMessage } from './approval';
import type { DeliveryResult } from './refresh';

/** A rollback of what the run published: who asked, why, and the cohorts to undo (default: all). */
export interface RollbackInput {
  requestedBy: string;
  reason: string;
  cohorts?: string[];
  /** Proof that `requestedBy` asked for this rollback of these cohorts (see DecisionInput.proof). */
  proof?: string;
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
}

export interface WatchWindowStatus {
  window: string;
  closesAt: string;
  /** Set once the window has closed; no rollback is taken after it. */
  closed?: boolean;
  /** The cohorts the run published: what a rollback naming none covers, less those rolled back. */
  published?: string[];
}

/** A rollback after the watch window: restore one published version of a cohort as its current one. */
export interface CohortRollbackInput {
  cohortId: string;
  toVersion: number;
  requestedBy: string;
  reason: string;
  /** Proof that `requestedBy` asked for this rollback run (see RefreshInput.requestProof). */
  requestProof?: string;
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
