import type { Queryable } from '../data/db';

export interface DeliveryStatus {
  runId: string;
  deliveries: Array<{
    cohortId: string;
    version: number;
    destination: string;
    label: string;
    status: 'pending' | 'acknowledged';
    fromVersion: number | null;
    adds: number;
    removes: number;
    suppressed: number;
    /** Holdout members of the cohort's running experiment, held back from an activation destination. */
    heldOut: number;
    cursor: { version: number; acknowledgedAt: string } | null;
    batches: Array<{
      batch: number;
      id: string;
      adds: number;
      removes: number;
      status: string;
      attempts: number;
      lastStatus: number | null;
      lastError: string | null;
      deliveredAt: string | null;
    }>;
  }>;
  disabledDestinations: Array<{ destination: string; disabledAt: string; reason: string | null }>;
}

/** Per cohort × destination: the run's deliveries, their batches, the cursor and what was held back. */
export async function deliveryStatus(db: Queryable, runId: string): Promise<DeliveryStatus> {
  const deliveries = await db.query(
    `SELECT d.delivery_id, d.cohort_id AS "cohortId", d.version, d.destination, d.label, d.status, d.from_version AS "fromVersion",
            d.adds, d.removes, d.suppressed, d.held_out AS "heldOut",
            CASE WHEN c.version IS NULL THEN NULL ELSE json_build_object('version', c.version, 'acknowledgedAt', c.acknowledged_at) END AS cursor,
            COALESCE((SELECT json_agg(json_build_object('batch', b.batch_no, 'id', b.id, 'adds', b.adds, 'removes', b.removes, 'status', b.status,
                       'attempts', b.attempts, 'lastStatus', b.last_status, 'lastError', b.last_error, 'deliveredAt', b.delivered_at) ORDER BY b.batch_no)
                      FROM delivery_batches b WHERE b.delivery_id = d.delivery_id), '[]') AS batches
     FROM destination_deliveries d LEFT JOIN destination_cursors c ON c.destination = d.destination AND c.cohort_id = d.cohort_id
     WHERE d.run_id = $1 ORDER BY d.cohort_id, d.destination, d.planned_at`,
    [runId],
  );
  const disabled = await db.query<DeliveryStatus['disabledDestinations'][number]>(
    'SELECT destination, disabled_at AS "disabledAt", reason FROM destination_state WHERE disabled_at IS NOT NULL ORDER BY destination',
  );
  return {
    runId,
    deliveries: deliveries.rows.map(({ delivery_id: _id, ...d }) => d as DeliveryStatus['deliveries'][number]),
    disabledDestinations: disabled.rows,
  };
}
