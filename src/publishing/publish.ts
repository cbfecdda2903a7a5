import type { Db } from '../data/db';
import { appendAudit } from '../data/audit';
import { assignAtPublish, type PublishAssignment } from '../experiments/publish-assignment';
import { insertVersion, lockPublishing, movePointer, versionWrittenBy } from './published-versions';

/** A publish or rollback that no retry can make right: the activity fails the workflow with this message. */
export class PublishRefused extends Error {}

export interface PublishedVersion {
  cohortId: string;
  snapshotId: string;
  version: number;
  /** The cohort's running experiment: how many of the snapshot's members got an arm at this publish. */
  experiment?: Pick<PublishAssignment, 'experimentId' | 'assigned' | 'allocationVersion'>;
}

/**
 * Moves every cohort's current pointer to the run's snapshot in one transaction, so readers
 * never see half a publish, and records each as the cohort's next published version; the
 * snapshot's new members get their arm in the cohort's running experiment. A retry finds the
 * versions it already wrote (and the assignments with them) and returns them.
 */
export async function publishSnapshots(
  db: Db,
  input: { runId: string; snapshotIds: string[]; approvedBy: string; approvals?: Record<string, string> },
): Promise<PublishedVersion[]> {
  return db.transaction(async (tx) => {
    await lockPublishing(tx);
    const snapshots = await tx.query<{ snapshot_id: string; cohort_id: string }>(
      'SELECT snapshot_id, cohort_id FROM cohort_snapshots WHERE snapshot_id = ANY($1::text[]) AND run_id = $2 ORDER BY cohort_id',
      [input.snapshotIds, input.runId],
    );
    if (snapshots.rowCount !== input.snapshotIds.length)
      throw new PublishRefused(`run ${input.runId} does not own all snapshots ${input.snapshotIds.join(', ')}`);
    const result: PublishedVersion[] = [];
    for (const s of snapshots.rows) {
      const done = await versionWrittenBy(tx, input.runId, s.cohort_id);
      if (done) {
        result.push({ cohortId: s.cohort_id, snapshotId: s.snapshot_id, version: done.version });
        continue;
      }
      const version = await insertVersion(tx, {
        cohortId: s.cohort_id,
        snapshotId: s.snapshot_id,
        runId: input.runId,
        // Each version names who approved that cohort ('policy' when no human was needed).
        approvedBy: input.approvals?.[s.cohort_id] ?? input.approvedBy,
      });
      await movePointer(tx, s.cohort_id, s.snapshot_id, input.runId);
      const published: PublishedVersion = { cohortId: s.cohort_id, snapshotId: s.snapshot_id, version };
      // New members get their arm in this transaction, so no delivery can see a member without one.
      const experiment = await assignAtPublish(tx, {
        runId: input.runId,
        cohortId: s.cohort_id,
        snapshotId: s.snapshot_id,
      });
      if (experiment) {
        const { experimentId, assigned, allocationVersion } = experiment;
        published.experiment = { experimentId, assigned, allocationVersion };
      }
      result.push(published);
    }
    await appendAudit(tx, {
      key: `run:${input.runId}:published`,
      runId: input.runId,
      actor: input.approvedBy,
      action: 'run.published',
      details: { versions: result },
    });
    return result;
  });
}
