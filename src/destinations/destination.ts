/** A diff of one published cohort version, ready for a destination. */
export interface CohortDiffMessage {
  /** Stable per (run, cohort, destination): the destination's idempotency key. */
  id: string;
  runId: string;
  cohortId: string;
  version: number;
  /** null: the cohort was withdrawn (a rollback of its first publish); every member is a remove. */
  snapshotId: string | null;
  previousSnapshotId: string | null;
  size: number;
  adds: string[];
  removes: string[];
}

export class DeliveryRejected extends Error {
  constructor(message: string, readonly status: number) {
    super(message);
    this.name = 'DeliveryRejected';
  }
}

export interface Destination {
  name: string;
  /** Resolves once the destination acknowledged; throws DeliveryRejected when a retry cannot help. */
  deliver(message: CohortDiffMessage): Promise<{ status: number }>;
}
