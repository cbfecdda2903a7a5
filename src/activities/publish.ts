import crypto from 'node:crypto';
import { DeliveryRejected } from '../destinations/destination';
import type { DeliveryResult } from '../workflows/types';
import { activityLog, invalidInput } from './context';
import type { ActivityDeps } from './deps';

export interface PublishedVersion {
  cohortId: string;
  snapshotId: string;
  version: number;
}

/**
 * Moves every cohort's current pointer to the run's snapshot in one transaction, so readers
 * never see half a publish. A retry finds the versions it already wrote and returns them.
 */
export async function publishSnapshots(deps: ActivityDeps, input: { runId: string; snapshotIds: string[]; approvedBy: string; approvals?: Record<string, string> }): Promise<PublishedVersion[]> {
  const published = await deps.db.transaction(async (tx) => {
    // One publish at a time: versions and pointers move together.
    await tx.query('LOCK TABLE cohort_current IN SHARE ROW EXCLUSIVE MODE');
    const snapshots = await tx.query<{ snapshot_id: string; cohort_id: string }>(
      'SELECT snapshot_id, cohort_id FROM cohort_snapshots WHERE snapshot_id = ANY($1::text[]) AND run_id = $2 ORDER BY cohort_id',
      [input.snapshotIds, input.runId],
    );
    if (snapshots.rowCount !== input.snapshotIds.length) throw invalidInput(`run ${input.runId} does not own all snapshots ${input.snapshotIds.join(', ')}`);
    const result: PublishedVersion[] = [];
    for (const s of snapshots.rows) {
      const done = await tx.query<{ version: number }>('SELECT version FROM published_versions WHERE run_id = $1 AND cohort_id = $2', [input.runId, s.cohort_id]);
      if (done.rows[0]) {
        result.push({ cohortId: s.cohort_id, snapshotId: s.snapshot_id, version: done.rows[0].version });
        continue;
      }
      const v = await tx.query<{ version: number }>(
        `INSERT INTO published_versions (cohort_id, version, snapshot_id, previous_snapshot_id, run_id, approved_by)
         SELECT $1, COALESCE((SELECT max(version) FROM published_versions WHERE cohort_id = $1), 0) + 1, $2,
                (SELECT snapshot_id FROM cohort_current WHERE cohort_id = $1), $3, $4
         RETURNING version`,
        // Each version names who approved that cohort ('policy' when no human was needed).
        [s.cohort_id, s.snapshot_id, input.runId, input.approvals?.[s.cohort_id] ?? input.approvedBy],
      );
      await tx.query(
        `INSERT INTO cohort_current (cohort_id, snapshot_id, run_id, published_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (cohort_id) DO UPDATE SET snapshot_id = EXCLUDED.snapshot_id, run_id = EXCLUDED.run_id, published_at = EXCLUDED.published_at`,
        [s.cohort_id, s.snapshot_id, input.runId],
      );
      result.push({ cohortId: s.cohort_id, snapshotId: s.snapshot_id, version: v.rows[0]!.version });
    }
    await tx.query(`INSERT INTO audit_log (run_id, actor, action, details) SELECT $1, $2, 'run.published', $3 WHERE NOT EXISTS (SELECT 1 FROM audit_log WHERE run_id = $1 AND action = 'run.published')`, [
      input.runId,
      input.approvedBy,
      { versions: result },
    ]);
    return result;
  });
  activityLog(deps.log, { runId: input.runId }).info({ cohorts: published.length }, 'published');
  return published;
}

/** The idempotency key a destination sees; the same for every retry of this delivery. */
export const deliveryIdOf = (runId: string, cohortId: string, destination: string) =>
  `msg_${crypto.createHash('sha256').update(`${runId}\n${cohortId}\n${destination}`).digest('hex').slice(0, 32)}`;

/**
 * Sends the published version's adds/removes to every destination. A delivery recorded as
 * done is never sent again; one that failed midway is re-sent with the same webhook-id, which
 * receivers use to drop a duplicate.
 */
export async function deliverCohort(deps: ActivityDeps, input: { runId: string; cohortId: string }): Promise<DeliveryResult[]> {
  const log = activityLog(deps.log, { runId: input.runId, cohortId: input.cohortId });
  // A rollback of a first publish writes a version without a snapshot: it delivers every member as a remove.
  const pv = await deps.db.query<{ version: number; snapshot_id: string | null; previous_snapshot_id: string | null; size: number }>(
    `SELECT v.version, v.snapshot_id, v.previous_snapshot_id, COALESCE(s.size, 0) AS size FROM published_versions v
     LEFT JOIN cohort_snapshots s ON s.snapshot_id = v.snapshot_id WHERE v.run_id = $1 AND v.cohort_id = $2`,
    [input.runId, input.cohortId],
  );
  const version = pv.rows[0];
  if (!version) throw invalidInput(`run ${input.runId} published no version of ${input.cohortId}`);

  const results: DeliveryResult[] = [];
  for (const destination of deps.destinations) {
    const id = deliveryIdOf(input.runId, input.cohortId, destination.name);
    const state = await deps.db.query<{ status: string; adds: number; removes: number }>('SELECT status, adds, removes FROM deliveries WHERE idempotency_key = $1', [id]);
    if (state.rows[0]?.status === 'delivered') {
      results.push({ cohortId: input.cohortId, destination: destination.name, adds: state.rows[0].adds, removes: state.rows[0].removes, delivered: true, alreadyDelivered: true });
      continue;
    }
    // Diff against the previous published version; relies on snapshot_members' primary key.
    const diff = await deps.db.query<{ kind: 'add' | 'remove'; customer_id: string }>(
      `SELECT 'add' AS kind, customer_id FROM snapshot_members WHERE snapshot_id = $1
         AND customer_id NOT IN (SELECT customer_id FROM snapshot_members WHERE snapshot_id = $2)
       UNION ALL
       SELECT 'remove', customer_id FROM snapshot_members WHERE snapshot_id = $2
         AND customer_id NOT IN (SELECT customer_id FROM snapshot_members WHERE snapshot_id = $1)
       ORDER BY 1, 2`,
      [version.snapshot_id, version.previous_snapshot_id],
    );
    const adds = diff.rows.filter((r) => r.kind === 'add').map((r) => r.customer_id);
    const removes = diff.rows.filter((r) => r.kind === 'remove').map((r) => r.customer_id);
    await deps.db.query(
      `INSERT INTO deliveries (idempotency_key, run_id, cohort_id, destination, adds, removes, status, attempts) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 1)
       ON CONFLICT (idempotency_key) DO UPDATE SET attempts = deliveries.attempts + 1`,
      [id, input.runId, input.cohortId, destination.name, adds.length, removes.length],
    );
    try {
      const { status } = await destination.deliver({ id, runId: input.runId, cohortId: input.cohortId, version: version.version, snapshotId: version.snapshot_id, previousSnapshotId: version.previous_snapshot_id, size: version.size, adds, removes });
      await deps.db.query(`UPDATE deliveries SET status = 'delivered', last_status = $2, delivered_at = now() WHERE idempotency_key = $1`, [id, status]);
    } catch (err) {
      if (err instanceof DeliveryRejected) {
        await deps.db.query('UPDATE deliveries SET last_status = $2 WHERE idempotency_key = $1', [id, err.status]);
        throw invalidInput(err.message);
      }
      throw err;
    }
    log.info({ destination: destination.name, adds: adds.length, removes: removes.length, deliveryId: id }, 'delivered');
    results.push({ cohortId: input.cohortId, destination: destination.name, adds: adds.length, removes: removes.length, delivered: true, alreadyDelivered: false });
  }
  return results;
}
