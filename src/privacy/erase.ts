import crypto from 'node:crypto';
import { recountSnapshot } from '../cohorts/run-compute';
import type { Db } from '../data/db';

export interface ErasureReport {
  customerId: string;
  erasedAt: string;
  /** True when the customer had been erased before: nothing changed this time. */
  alreadyErased: boolean;
  rowsDeleted: Record<string, number>;
  snapshots: number;
  /** Published cohorts whose destinations must be sent a remove. */
  removals: Array<{ cohortId: string; snapshotId: string; delivered: boolean }>;
}

export class UnknownCustomer extends Error {}

/** How the audit log names an erased customer: never the id itself, which the log would keep forever. */
export const erasedSubject = (customerId: string) => `sha256:${crypto.createHash('sha256').update(customerId).digest('hex')}`;

// Personal data by table, deleted by customer id. customer_daily and crm_history are keyed by it;
// events also keep rows not yet attributed, matched through the customer's identities.
const DELETIONS: Array<[table: string, sql: string]> = [
  ['events', 'DELETE FROM events WHERE customer_id = $1 OR (customer_id IS NULL AND (identity_scheme, identity_value) IN (SELECT scheme, external_id FROM identities WHERE customer_id = $1))'],
  ['customer_daily', 'DELETE FROM customer_daily WHERE customer_id = $1'],
  ['crm_history', 'DELETE FROM crm_history WHERE customer_id = $1'],
  ['identity_aliases', 'DELETE FROM identity_aliases WHERE (scheme, value) IN (SELECT scheme, external_id FROM identities WHERE customer_id = $1)'],
  ['identities', 'DELETE FROM identities WHERE customer_id = $1'],
  // A quarantined raw line may name the customer by id or by email, as a whole token (c1 is not c10).
  ['quarantine', 'DELETE FROM quarantine WHERE raw ~ $1 OR ($2::text IS NOT NULL AND raw ~* $2)'],
];

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A POSIX regex matching the value as a whole token in a raw CSV or JSON line. */
const tokenPattern = (value: string) => `(^|[^A-Za-z0-9_.@+-])${escapeRegex(value)}([^A-Za-z0-9_.@+-]|$)`;

/**
 * Erases one customer in one transaction: personal data deleted, the customer removed from every
 * stored snapshot (sizes and content hashes recomputed, so counts and hashes stay true), a
 * tombstone left, and the published cohorts that held them listed for remove deliveries. The
 * audit row names the customer only by a hash. Erasing twice changes nothing.
 */
export async function eraseCustomer(db: Db, input: { customerId: string; requestedBy: string; reason: string }): Promise<ErasureReport> {
  return db.transaction(async (tx) => {
    const done = await tx.query<{ erased_at: Date; rows_deleted: Record<string, number>; snapshots: number }>('SELECT erased_at, rows_deleted, snapshots FROM erasures WHERE customer_id = $1', [input.customerId]);
    if (done.rows[0]) return report(tx, input.customerId, done.rows[0], true);

    const found = await tx.query<{ customer_no: number; email: string | null }>('SELECT customer_no, email FROM customers WHERE customer_id = $1 FOR UPDATE', [input.customerId]);
    const customer = found.rows[0];
    if (!customer) throw new UnknownCustomer(`no customer ${input.customerId}; nothing was erased`);

    // Published cohorts holding the customer now: their destinations need a remove.
    await tx.query(
      `CREATE TEMP TABLE erased_from ON COMMIT DROP AS
         SELECT DISTINCT ch.snapshot_id FROM snapshot_chunks ch
         WHERE ch.block = $1::int >> 16 AND $1::int = ANY (ch.members)`,
      [customer.customer_no],
    );
    const rowsDeleted: Record<string, number> = {};
    for (const [table, sql] of DELETIONS) {
      const params = table === 'quarantine' ? [tokenPattern(input.customerId), customer.email ? tokenPattern(customer.email) : null] : [input.customerId];
      rowsDeleted[table] = (await tx.query(sql, params)).rowCount ?? 0;
    }
    const touched = await tx.query<{ snapshot_id: string }>('SELECT snapshot_id FROM erased_from ORDER BY snapshot_id');
    await tx.query(
      `UPDATE snapshot_chunks SET members = array_remove(members, $1::int)
       WHERE block = $1::int >> 16 AND snapshot_id IN (SELECT snapshot_id FROM erased_from)`,
      [customer.customer_no],
    );
    await tx.query("DELETE FROM snapshot_chunks WHERE cardinality(members) = 0 AND snapshot_id IN (SELECT snapshot_id FROM erased_from)");
    for (const { snapshot_id } of touched.rows) await recountSnapshot(tx, snapshot_id);
    await tx.query(
      `UPDATE customers SET email = NULL, plan = NULL, country = NULL, lifecycle_stage = NULL, signup_at = NULL, consent_marketing = NULL, erased_at = now()
       WHERE customer_id = $1`,
      [input.customerId],
    );
    const erased = await tx.query<{ erased_at: Date; rows_deleted: Record<string, number>; snapshots: number }>(
      `INSERT INTO erasures (customer_id, customer_no, requested_by, reason, rows_deleted, snapshots) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING erased_at, rows_deleted, snapshots`,
      [input.customerId, customer.customer_no, input.requestedBy, input.reason, rowsDeleted, touched.rowCount ?? 0],
    );
    await tx.query(
      `INSERT INTO erasure_removals (customer_id, cohort_id, snapshot_id)
       SELECT $1, c.cohort_id, c.snapshot_id FROM cohort_current c WHERE c.snapshot_id IN (SELECT snapshot_id FROM erased_from)`,
      [input.customerId],
    );
    // Last in the transaction: the audit chain's lock is held until commit.
    await tx.query(`INSERT INTO audit_log (key, actor, action, details) VALUES ($1, $2, 'privacy.erased', $3)`, [
      `erasure:${erasedSubject(input.customerId)}`,
      input.requestedBy,
      { subject: erasedSubject(input.customerId), reason: input.reason, rowsDeleted, snapshots: touched.rowCount ?? 0 },
    ]);
    return report(tx, input.customerId, erased.rows[0]!, false);
  });
}

async function report(
  tx: Pick<Db, 'query'>,
  customerId: string,
  row: { erased_at: Date; rows_deleted: Record<string, number>; snapshots: number },
  alreadyErased: boolean,
): Promise<ErasureReport> {
  const removals = await tx.query<{ cohort_id: string; snapshot_id: string; delivered_at: Date | null }>(
    'SELECT cohort_id, snapshot_id, delivered_at FROM erasure_removals WHERE customer_id = $1 ORDER BY cohort_id',
    [customerId],
  );
  return {
    customerId,
    erasedAt: row.erased_at.toISOString(),
    alreadyErased,
    rowsDeleted: row.rows_deleted,
    snapshots: row.snapshots,
    removals: removals.rows.map((r) => ({ cohortId: r.cohort_id, snapshotId: r.snapshot_id, delivered: r.delivered_at !== null })),
  };
}
