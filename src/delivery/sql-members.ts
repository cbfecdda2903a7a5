import type pg from 'pg';

/**
 * Switches published_cohort_members to the delivery's version in the caller's transaction:
 * removes go, adds arrive with since = now (a new streak), everyone left carries the version.
 */
export async function applyPublishedMembers(
  tx: pg.PoolClient,
  d: { cohortId: string; version: number; deliveryId: string },
): Promise<void> {
  await tx.query(
    `DELETE FROM published_cohort_members p USING delivery_items i JOIN customers c ON c.customer_no = i.customer_no
     WHERE i.delivery_id = $2 AND i.kind = 'remove' AND p.cohort_id = $1 AND p.customer_id = c.customer_id`,
    [d.cohortId, d.deliveryId],
  );
  await tx.query(
    `INSERT INTO published_cohort_members (cohort_id, customer_id, version, since)
     SELECT $1, c.customer_id, $3, now() FROM delivery_items i JOIN customers c ON c.customer_no = i.customer_no
     WHERE i.delivery_id = $2 AND i.kind = 'add'
     ON CONFLICT (cohort_id, customer_id) DO NOTHING`,
    [d.cohortId, d.deliveryId, d.version],
  );
  await tx.query('UPDATE published_cohort_members SET version = $2 WHERE cohort_id = $1', [d.cohortId, d.version]);
}
