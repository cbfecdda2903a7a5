import type pg from 'pg';

/**
 * Switches published_cohort_members to the delivery's version in the caller's transaction:
 * removes go, adds arrive with since = now (a new streak), everyone left carries the version and
 * its arm.
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
  // Every row carries its member's arm in the delivery's experiment (null without one): a member
  // assigned after it entered the table gets its arm here too.
  await tx.query(
    `UPDATE published_cohort_members p SET version = $2,
       arm = (SELECT a.arm FROM destination_deliveries d JOIN experiment_assignments a ON a.experiment_id = d.experiment_id
              WHERE d.delivery_id = $3 AND a.customer_id = p.customer_id)
     WHERE p.cohort_id = $1`,
    [d.cohortId, d.version, d.deliveryId],
  );
}
