import type { Db } from '../data/db';
import type { Destination } from '../destinations/destination';
import { consentedSql, destinationRowSql, removeRowSql } from './audience';

export interface DeliveryBatch {
  deliveryId: string;
  batchNo: number;
  id: string;
  firstSeq: number;
  lastSeq: number;
  status: 'pending' | 'acknowledged';
}

/**
 * One batch's adds (allowed fields only) and removes (customer_id), read from Postgres as they are
 * at send time. Consent is checked again here: a customer who withdrew after the delivery was
 * planned (a retry hours later) is held back from this batch and recorded as held back, so the
 * destination's next diff knows it never received them.
 */
export async function batchRows(
  db: Db,
  destination: Destination,
  batch: Pick<DeliveryBatch, 'deliveryId' | 'firstSeq' | 'lastSeq'>,
) {
  await db.query(
    `INSERT INTO delivery_suppressed (delivery_id, customer_no)
     SELECT i.delivery_id, i.customer_no FROM delivery_items i JOIN customers c ON c.customer_no = i.customer_no
     WHERE i.delivery_id = $1 AND i.seq BETWEEN $2 AND $3 AND i.kind = 'add' AND NOT ${consentedSql('$4')}
     ON CONFLICT DO NOTHING`,
    [batch.deliveryId, batch.firstSeq, batch.lastSeq, destination.purpose],
  );
  const rows = await db.query<{ kind: 'add' | 'remove'; row: Record<string, unknown> }>(
    `SELECT i.kind, CASE WHEN i.kind = 'add' THEN ${destinationRowSql(destination, 'i.delivery_id')} ELSE ${removeRowSql} END AS row
     FROM delivery_items i JOIN customers c ON c.customer_no = i.customer_no
     WHERE i.delivery_id = $1 AND i.seq BETWEEN $2 AND $3
       AND NOT (i.kind = 'add' AND EXISTS (SELECT 1 FROM delivery_suppressed x WHERE x.delivery_id = i.delivery_id AND x.customer_no = i.customer_no))
     ORDER BY i.seq`,
    [batch.deliveryId, batch.firstSeq, batch.lastSeq],
  );
  return {
    adds: rows.rows.filter((r) => r.kind === 'add').map((r) => r.row),
    removes: rows.rows.filter((r) => r.kind === 'remove').map((r) => r.row as { customer_id: string }),
  };
}
