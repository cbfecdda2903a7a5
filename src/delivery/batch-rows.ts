import type { Db } from '../data/db';
import type { Destination } from '../destinations/destination';
import { addRowSql, removeRowSql } from './audience';

export interface DeliveryBatch {
  deliveryId: string;
  batchNo: number;
  id: string;
  firstSeq: number;
  lastSeq: number;
  status: 'pending' | 'acknowledged';
}

/** One batch's adds (allowed fields only) and removes (customer_id), read from Postgres. */
export async function batchRows(db: Db, destination: Destination, batch: Pick<DeliveryBatch, 'deliveryId' | 'firstSeq' | 'lastSeq'>) {
  const rows = await db.query<{ kind: 'add' | 'remove'; row: Record<string, unknown> }>(
    `SELECT i.kind, CASE WHEN i.kind = 'add' THEN ${addRowSql(destination.fields)} ELSE ${removeRowSql} END AS row
     FROM delivery_items i JOIN customers c ON c.customer_no = i.customer_no
     WHERE i.delivery_id = $1 AND i.seq BETWEEN $2 AND $3 ORDER BY i.seq`,
    [batch.deliveryId, batch.firstSeq, batch.lastSeq],
  );
  return {
    adds: rows.rows.filter((r) => r.kind === 'add').map((r) => r.row),
    removes: rows.rows.filter((r) => r.kind === 'remove').map((r) => r.row as { customer_id: string }),
  };
}
