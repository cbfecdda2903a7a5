import crypto from 'node:crypto';
import type pg from 'pg';
import type { Destination } from '../destinations/destination';
import { useOf } from '../destinations/destination';
import { consentedSql, destinationRowSql, removeRowSql } from './audience';

export interface PlannedDelivery {
  deliveryId: string;
  batches: number;
  adds: number;
  removes: number;
  suppressed: number;
  /** Holdout members of the cohort's running experiment, held back from an activation destination. */
  heldOut: number;
  fromVersion: number | null;
}

export interface DeliveryTarget {
  cohortId: string;
  version: number;
  /** null: the version withdraws the cohort (a rollback of its first publish). */
  snapshotId: string | null;
  runId: string;
  /** '' for the version's own delivery; reconcile-<n> for a re-send. */
  label: string;
  /** What the destination holds: its cursor, or none (a full load). */
  from: { version: number; snapshotId: string | null; deliveryId: string } | null;
}

const hash = (...parts: (string | number)[]) =>
  crypto.createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 32);

export const deliveryIdOf = (cohortId: string, version: number, destination: string, label = '') =>
  `dlv_${hash(cohortId, version, destination, label)}`;
/** The webhook-id of a batch: the same on every retry, so a receiver drops a duplicate. */
export const batchIdOf = (deliveryId: string, batchNo: number) => `msg_${hash(deliveryId, batchNo)}`;

// Room left in a batch for the envelope around adds/removes (ids, counts, names).
const ENVELOPE_BYTES = 1024;
const PAGE = 10_000;

/**
 * Fixes what this delivery sends, once, in the given transaction: the members held back for the
 * destination's purpose, the adds/removes against what the destination holds (diffed in SQL),
 * and the batches as ranges of them. A delivery already planned is returned as it was.
 */
export async function planDelivery(
  tx: pg.PoolClient,
  destination: Destination,
  target: DeliveryTarget,
): Promise<PlannedDelivery> {
  const deliveryId = deliveryIdOf(target.cohortId, target.version, destination.name, target.label);
  const existing = await tx.query<PlannedDelivery>(
    'SELECT delivery_id AS "deliveryId", batches, adds, removes, suppressed, held_out AS "heldOut", from_version AS "fromVersion" FROM destination_deliveries WHERE delivery_id = $1',
    [deliveryId],
  );
  if (existing.rows[0]) return existing.rows[0];

  // The experiment running on the cohort now decides whose arm is what for this delivery.
  await tx.query(
    `INSERT INTO destination_deliveries (delivery_id, cohort_id, version, destination, run_id, label, purpose, from_version, batches, adds, removes, suppressed, status, experiment_id)
     VALUES ($1, $2, $3, $4, $5, $8, $6, $7, 0, 0, 0, 0, 'pending',
             (SELECT experiment_id FROM experiments WHERE cohort_id = $2 AND status = 'running'))`,
    [
      deliveryId,
      target.cohortId,
      target.version,
      destination.name,
      target.runId,
      destination.purpose,
      target.from?.version ?? null,
      target.label,
    ],
  );
  const suppressed = await tx.query(
    `INSERT INTO delivery_suppressed (delivery_id, customer_no)
     SELECT $1, c.customer_no FROM snapshot_chunks s CROSS JOIN LATERAL unnest(s.members) AS m (customer_no)
     JOIN customers c ON c.customer_no = m.customer_no
     WHERE s.snapshot_id = $2 AND c.erased_at IS NULL AND NOT ${consentedSql('$3')}`,
    [deliveryId, target.snapshotId, destination.purpose],
  );
  // Consent first, then the holdout: a member without consent stays counted as suppressed.
  const heldOut =
    useOf(destination) === 'activation'
      ? await tx.query(
          `WITH holdout AS (
             SELECT e.experiment_id, x->>'id' AS arm FROM destination_deliveries d
             JOIN experiments e ON e.experiment_id = d.experiment_id
             CROSS JOIN LATERAL jsonb_array_elements(e.definition->'arms') AS x
             WHERE d.delivery_id = $1 AND (x->>'holdout')::boolean)
           INSERT INTO delivery_suppressed (delivery_id, customer_no, reason)
           SELECT $1, c.customer_no, 'holdout'
           FROM snapshot_chunks s CROSS JOIN LATERAL unnest(s.members) AS m (customer_no)
           JOIN customers c ON c.customer_no = m.customer_no
           JOIN holdout h ON true
           JOIN experiment_assignments a ON a.experiment_id = h.experiment_id AND a.customer_id = c.customer_id AND a.arm = h.arm
           WHERE s.snapshot_id = $2 AND c.erased_at IS NULL
           ON CONFLICT (delivery_id, customer_no) DO NOTHING`,
          [deliveryId, target.snapshotId],
        )
      : { rowCount: 0 };
  // desired: the version's members minus those held back; held: what the destination acknowledged.
  // An erased customer is in neither, whatever a snapshot says (one computed while the erasure
  // ran): no add or remove ever names them; the erasure sends its own remove (customers_erased_idx).
  const items = await tx.query(
    `WITH erased AS (SELECT customer_no FROM customers WHERE erased_at IS NOT NULL),
     desired AS (
       SELECT unnest(members) AS customer_no FROM snapshot_chunks WHERE snapshot_id = $2
       EXCEPT SELECT customer_no FROM delivery_suppressed WHERE delivery_id = $1
       EXCEPT SELECT customer_no FROM erased),
     held AS (
       SELECT unnest(members) AS customer_no FROM snapshot_chunks WHERE snapshot_id = $3
       EXCEPT SELECT customer_no FROM delivery_suppressed WHERE delivery_id = $4
       EXCEPT SELECT customer_no FROM erased),
     diff AS (
       SELECT 'add' AS kind, customer_no FROM (SELECT customer_no FROM desired EXCEPT SELECT customer_no FROM held) a
       UNION ALL
       SELECT 'remove', customer_no FROM (SELECT customer_no FROM held EXCEPT SELECT customer_no FROM desired) r)
     INSERT INTO delivery_items (delivery_id, seq, kind, customer_no)
     SELECT $1, row_number() OVER (ORDER BY kind, customer_no), kind, customer_no FROM diff`,
    [deliveryId, target.snapshotId, target.from?.snapshotId ?? null, target.from?.deliveryId ?? null],
  );
  const counts = await tx.query<{ adds: number; removes: number }>(
    "SELECT count(*) FILTER (WHERE kind = 'add')::int AS adds, count(*) FILTER (WHERE kind = 'remove')::int AS removes FROM delivery_items WHERE delivery_id = $1",
    [deliveryId],
  );
  const ranges =
    destination.kind === 'webhook'
      ? await byteRanges(
          tx,
          deliveryId,
          destinationRowSql(destination, 'i.delivery_id'),
          destination.maxBatchBytes - ENVELOPE_BYTES,
        )
      : [];
  // An unchanged cohort sends a webhook nothing: no batch, and the delivery is acknowledged at
  // once (the cursor still moves to the new version). A file or the SQL table still gets its one
  // batch: it writes the version's full state, which a reader of that version expects to find.
  if (ranges.length === 0 && (destination.kind !== 'webhook' || (items.rowCount ?? 0) > 0))
    ranges.push({ first: 1, last: items.rowCount ?? 0 });
  for (const [i, r] of ranges.entries()) {
    await tx.query(
      `INSERT INTO delivery_batches (delivery_id, cohort_id, version, destination, batch_no, id, first_seq, last_seq, adds, removes, status)
       SELECT $1, $2, $3, $4, $5, $6, $7, $8, count(*) FILTER (WHERE kind = 'add'), count(*) FILTER (WHERE kind = 'remove'), 'pending'
       FROM delivery_items WHERE delivery_id = $1 AND seq BETWEEN $7 AND $8`,
      [
        deliveryId,
        target.cohortId,
        target.version,
        destination.name,
        i + 1,
        batchIdOf(deliveryId, i + 1),
        r.first,
        r.last,
      ],
    );
  }
  const planned = {
    deliveryId,
    batches: ranges.length,
    adds: counts.rows[0]!.adds,
    removes: counts.rows[0]!.removes,
    suppressed: suppressed.rowCount ?? 0,
    heldOut: heldOut.rowCount ?? 0,
    fromVersion: target.from?.version ?? null,
  };
  await tx.query(
    'UPDATE destination_deliveries SET batches = $2, adds = $3, removes = $4, suppressed = $5, held_out = $6 WHERE delivery_id = $1',
    [deliveryId, planned.batches, planned.adds, planned.removes, planned.suppressed, planned.heldOut],
  );
  return planned;
}

/** Greedy seq ranges whose rows fit the byte budget; row sizes come from SQL, rows stay there. */
async function byteRanges(
  tx: pg.PoolClient,
  deliveryId: string,
  addRow: string,
  budget: number,
): Promise<Array<{ first: number; last: number }>> {
  const ranges: Array<{ first: number; last: number }> = [];
  let current: { first: number; last: number; bytes: number } | undefined;
  for (let after = 0; ;) {
    const page = await tx.query<{ seq: number; bytes: number }>(
      `SELECT i.seq, octet_length((CASE WHEN i.kind = 'add' THEN ${addRow} ELSE ${removeRowSql} END)::text) + 1 AS bytes
       FROM delivery_items i JOIN customers c ON c.customer_no = i.customer_no
       WHERE i.delivery_id = $1 AND i.seq > $2 ORDER BY i.seq LIMIT ${PAGE}`,
      [deliveryId, after],
    );
    for (const row of page.rows) {
      if (current && current.bytes + row.bytes > budget) {
        ranges.push({ first: current.first, last: current.last });
        current = undefined;
      }
      current = current
        ? { ...current, last: row.seq, bytes: current.bytes + row.bytes }
        : { first: row.seq, last: row.seq, bytes: row.bytes };
    }
    if (page.rows.length < PAGE) break;
    after = page.rows[page.rows.length - 1]!.seq;
  }
  if (current) ranges.push({ first: current.first, last: current.last });
  return ranges;
}
