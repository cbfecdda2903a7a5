import type { Db } from '../data/db';
import type { Destination } from '../destinations/destination';
import type { OutboundHttp } from '../destinations/outbound-http';
import type { Logger } from '../log';
import type { DeliveryBatch } from './batch-rows';
import { exportCohortFiles } from './file-export';
import { planDelivery, type DeliveryTarget } from './plan';
import { DestinationGone, sendWebhookBatch } from './send-webhook';
import { applyPublishedMembers } from './sql-members';

export interface VersionDelivery {
  destination: string;
  deliveryId?: string;
  adds: number;
  removes: number;
  suppressed: number;
  delivered: boolean;
  alreadyDelivered: boolean;
  disabled?: boolean;
}

export interface DeliveryHooks {
  /** Called between batches: the activity heartbeats here. */
  heartbeat(progress: { destination: string; batch: number; batches: number }): void;
}

export async function cursorOf(db: Db, destination: string, cohortId: string) {
  const rows = await db.query<{ version: number; snapshotId: string | null; deliveryId: string }>(
    'SELECT version, snapshot_id AS "snapshotId", delivery_id AS "deliveryId" FROM destination_cursors WHERE destination = $1 AND cohort_id = $2',
    [destination, cohortId],
  );
  return rows.rows[0] ?? null;
}

export async function isDisabled(db: Db, destination: string): Promise<boolean> {
  const rows = await db.query('SELECT 1 FROM destination_state WHERE destination = $1 AND disabled_at IS NOT NULL', [
    destination,
  ]);
  return (rows.rowCount ?? 0) > 0;
}

/**
 * Delivers a published version to one destination: the difference from what it last
 * acknowledged (everything, the first time), batch by batch. Batches already acknowledged are
 * never sent again; the cursor moves only when every batch is acknowledged.
 */
export async function deliverVersion(
  deps: { db: Db; log: Logger; http?: OutboundHttp },
  destination: Destination,
  target: Omit<DeliveryTarget, 'from' | 'label'> & { label?: string },
  hooks: DeliveryHooks,
): Promise<VersionDelivery> {
  const { log, db } = deps;
  const label = target.label ?? '';
  const cursor = await cursorOf(db, destination.name, target.cohortId);
  if (!label && cursor && cursor.version >= target.version) {
    return {
      destination: destination.name,
      adds: 0,
      removes: 0,
      suppressed: 0,
      delivered: true,
      alreadyDelivered: true,
    };
  }
  const plan = await db.transaction((tx) => planDelivery(tx, destination, { ...target, label, from: cursor }));
  const done = {
    destination: destination.name,
    deliveryId: plan.deliveryId,
    adds: plan.adds,
    removes: plan.removes,
    suppressed: plan.suppressed,
  };
  const batches = await db.query<DeliveryBatch>(
    `SELECT delivery_id AS "deliveryId", batch_no AS "batchNo", id, first_seq AS "firstSeq", last_seq AS "lastSeq", status
     FROM delivery_batches WHERE delivery_id = $1 AND status = 'pending' ORDER BY batch_no`,
    [plan.deliveryId],
  );
  if (
    batches.rows.length === 0 &&
    (await cursorOf(db, destination.name, target.cohortId))?.deliveryId === plan.deliveryId
  ) {
    return { ...done, delivered: true, alreadyDelivered: true };
  }
  for (const batch of batches.rows) {
    await db.query('UPDATE delivery_batches SET attempts = attempts + 1 WHERE delivery_id = $1 AND batch_no = $2', [
      batch.deliveryId,
      batch.batchNo,
    ]);
    if (destination.kind === 'sql') {
      // The table switch and the acknowledgement commit together.
      await db.transaction(async (tx) => {
        await applyPublishedMembers(tx, {
          cohortId: target.cohortId,
          version: target.version,
          deliveryId: plan.deliveryId,
        });
        await acknowledge(tx, batch, 200);
      });
    } else {
      let status = 200;
      if (destination.kind === 'webhook') {
        try {
          status = await sendWebhookBatch(
            db,
            destination,
            batch,
            { runId: target.runId, cohortId: target.cohortId, version: target.version, batches: plan.batches },
            deps.http,
          );
        } catch (err) {
          if (!(err instanceof DestinationGone)) throw err;
          await db.query(
            `INSERT INTO destination_state (destination, disabled_at, reason) VALUES ($1, now(), $2)
             ON CONFLICT (destination) DO UPDATE SET disabled_at = now(), reason = EXCLUDED.reason`,
            [destination.name, err.message],
          );
          log.warn(
            { destination: destination.name },
            `${err.message}: destination disabled (410 Gone); later deliveries skip it`,
          );
          return { ...done, delivered: false, alreadyDelivered: false, disabled: true };
        }
      } else {
        await exportCohortFiles(db, destination, {
          cohortId: target.cohortId,
          version: target.version,
          snapshotId: target.snapshotId,
          deliveryId: plan.deliveryId,
          previousVersion: plan.fromVersion,
        });
      }
      await acknowledge(db, batch, status);
    }
    hooks.heartbeat({ destination: destination.name, batch: batch.batchNo, batches: plan.batches });
  }
  await db.transaction(async (tx) => {
    await tx.query(
      "UPDATE destination_deliveries SET status = 'acknowledged', completed_at = now() WHERE delivery_id = $1",
      [plan.deliveryId],
    );
    await tx.query(
      `INSERT INTO destination_cursors (destination, cohort_id, version, snapshot_id, delivery_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (destination, cohort_id) DO UPDATE SET version = EXCLUDED.version, snapshot_id = EXCLUDED.snapshot_id,
         delivery_id = EXCLUDED.delivery_id, acknowledged_at = now()
       WHERE destination_cursors.version <= EXCLUDED.version`,
      [destination.name, target.cohortId, target.version, target.snapshotId, plan.deliveryId],
    );
  });
  log.info(done, 'delivered');
  return { ...done, delivered: true, alreadyDelivered: false };
}

const acknowledge = (q: Pick<Db, 'query'>, batch: DeliveryBatch, status: number) =>
  q.query(
    "UPDATE delivery_batches SET status = 'acknowledged', last_status = $3, delivered_at = now() WHERE delivery_id = $1 AND batch_no = $2",
    [batch.deliveryId, batch.batchNo, status],
  );
