import crypto from 'node:crypto';
import { eraseFromShadowSnapshots } from '../shadows/shadow-compute';
import { recountSnapshot } from '../cohorts/run-compute';
import type { Db } from '../data/db';
import { appendAudit } from '../data/audit';
import { identifiersOf, lockForErasure, recordErased, type Identifier } from './erased-identifiers';
import type { ErasureKey } from './erasure-key';
import { holdDerivedStateShared } from '../cohorts/customer-state';

export interface ErasureReport {
  customerId: string;
  erasedAt: string;
  /** True when the customer had been erased before: nothing changed this time. */
  alreadyErased: boolean;
  rowsDeleted: Record<string, number>;
  snapshots: number;
  /** Per cohort and destination that held the customer: whether the remove has gone out. */
  removals: Array<{ cohortId: string; destination: string; delivered: boolean; error?: string }>;
}

export class UnknownCustomer extends Error {}

/** How the audit log names an erased customer: never the id itself, which the log would keep forever. */
export const erasedSubject = (customerId: string) =>
  `sha256:${crypto.createHash('sha256').update(customerId).digest('hex')}`;

// Personal data by table, deleted by customer id. customer_state and crm_history are keyed by it;
// events also keep rows not yet attributed, matched through the customer's identities and aliases.
const DELETIONS: Array<[table: string, sql: string]> = [
  [
    'events',
    `DELETE FROM events WHERE customer_id = $1 OR (customer_id IS NULL AND (identity_scheme, identity_value) IN (
       SELECT scheme, external_id FROM identities WHERE customer_id = $1
       UNION SELECT a.alias_scheme, a.alias_value FROM identity_aliases a JOIN identities i ON i.scheme = a.scheme AND i.external_id = a.value WHERE i.customer_id = $1))`,
  ],
  ['customer_state', 'DELETE FROM customer_state WHERE customer_id = $1'],
  // Predictions about the customer, kept with each run that scored them.
  [
    'run_scores',
    'DELETE FROM run_scores WHERE customer_no = (SELECT customer_no FROM customers WHERE customer_id = $1)',
  ],
  ['crm_history', 'DELETE FROM crm_history WHERE customer_id = $1'],
  [
    'identity_aliases',
    `DELETE FROM identity_aliases WHERE (scheme, value) IN (SELECT scheme, external_id FROM identities WHERE customer_id = $1)
       OR (alias_scheme, alias_value) IN (SELECT scheme, external_id FROM identities WHERE customer_id = $1)`,
  ],
  ['identities', 'DELETE FROM identities WHERE customer_id = $1'],
  // A quarantined raw line may name the customer by any identifier they had, as a whole token (c1
  // is not c10); emails in any case.
  ['quarantine', 'DELETE FROM quarantine WHERE raw ~ $1 OR ($2::text IS NOT NULL AND raw ~* $2)'],
];

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A POSIX regex matching any of the values as a whole token in a raw CSV or JSON line; null for none. */
const tokenPattern = (values: string[]) =>
  values.length === 0 ? null : `(^|[^A-Za-z0-9_.@+-])(${values.map(escapeRegex).join('|')})([^A-Za-z0-9_.@+-]|$)`;

/** The quarantine sweep's two patterns: emails match in any case, every other identifier exactly. */
const quarantinePatterns = (ids: Identifier[]) => [
  tokenPattern([...new Set(ids.filter((i) => i.scheme !== 'email').map((i) => i.value))]),
  tokenPattern([...new Set(ids.filter((i) => i.scheme === 'email').map((i) => i.value))]),
];

/**
 * Erases one customer in one transaction: every identifier they had kept as a keyed hash that
 * ingest and delivery refuse from now on, personal data deleted (quarantined lines naming any of
 * those identifiers too), the customer removed from every stored snapshot (sizes and content
 * hashes recomputed, so counts and hashes stay true), a tombstone left, and the published cohorts
 * that held them listed for remove deliveries. The audit row names the customer only by a hash.
 * Erasing twice changes nothing.
 */
export async function eraseCustomerData(
  deps: { db: Db; erasureKey: ErasureKey },
  input: { customerId: string; requestedBy: string; reason: string },
): Promise<ErasureReport> {
  return deps.db.transaction(async (tx) => {
    await lockForErasure(tx);
    // Not while the derived state is being brought up to date: it must never re-derive rows deleted here.
    await holdDerivedStateShared(tx);
    const done = await tx.query<{ erased_at: Date; rows_deleted: Record<string, number>; snapshots: number }>(
      'SELECT erased_at, rows_deleted, snapshots FROM erasures WHERE customer_id = $1',
      [input.customerId],
    );
    if (done.rows[0]) return erasureReport(tx, input.customerId, done.rows[0], true);

    const found = await tx.query<{ customer_no: number; email: string | null }>(
      'SELECT customer_no, email FROM customers WHERE customer_id = $1 FOR UPDATE',
      [input.customerId],
    );
    const customer = found.rows[0];
    if (!customer) throw new UnknownCustomer(`no customer ${input.customerId}; nothing was erased`);
    // Gathered before the deletions below take the links away.
    const identifiers = await identifiersOf(tx, input.customerId);
    await recordErased(tx, deps.erasureKey, identifiers);

    // Published cohorts holding the customer now: their destinations need a remove.
    await tx.query(
      `CREATE TEMP TABLE erased_from ON COMMIT DROP AS
         SELECT DISTINCT ch.snapshot_id FROM snapshot_chunks ch
         WHERE ch.block = $1::int >> 16 AND $1::int = ANY (ch.members)`,
      [customer.customer_no],
    );
    // Destinations that acknowledged a membership holding the customer (and were not held back from it).
    await tx.query(
      `INSERT INTO erasure_removals (customer_id, cohort_id, destination)
       SELECT DISTINCT $1, k.cohort_id, k.destination FROM destination_cursors k
       WHERE k.snapshot_id IN (SELECT snapshot_id FROM erased_from)
         AND NOT EXISTS (SELECT 1 FROM delivery_suppressed x WHERE x.delivery_id = k.delivery_id AND x.customer_no = $2)`,
      [input.customerId, customer.customer_no],
    );
    const rowsDeleted: Record<string, number> = {};
    for (const [table, sql] of DELETIONS) {
      const params = table === 'quarantine' ? quarantinePatterns(identifiers) : [input.customerId];
      rowsDeleted[table] = (await tx.query(sql, params)).rowCount ?? 0;
    }
    const touched = await tx.query<{ snapshot_id: string }>('SELECT snapshot_id FROM erased_from ORDER BY snapshot_id');
    await tx.query(
      `UPDATE snapshot_chunks SET members = array_remove(members, $1::int)
       WHERE block = $1::int >> 16 AND snapshot_id IN (SELECT snapshot_id FROM erased_from)`,
      [customer.customer_no],
    );
    await tx.query(
      'DELETE FROM snapshot_chunks WHERE cardinality(members) = 0 AND snapshot_id IN (SELECT snapshot_id FROM erased_from)',
    );
    for (const { snapshot_id } of touched.rows) await recountSnapshot(tx, snapshot_id);
    await eraseFromShadowSnapshots(tx, customer.customer_no);
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
    // What deliveries kept of the customer: the SQL destination's rows, the planned items (the
    // export files are rebuilt from them), with each delivery's and batch's counts kept true.
    rowsDeleted.published_cohort_members =
      (await tx.query('DELETE FROM published_cohort_members WHERE customer_id = $1', [input.customerId])).rowCount ?? 0;
    // An erased customer leaves every experiment: the arms' counts then drop the member.
    rowsDeleted.experiment_assignments =
      (await tx.query('DELETE FROM experiment_assignments WHERE customer_id = $1', [input.customerId])).rowCount ?? 0;
    const items = await tx.query<{ delivery_id: string }>(
      'DELETE FROM delivery_items WHERE customer_no = $1 RETURNING delivery_id',
      [customer.customer_no],
    );
    rowsDeleted.delivery_items = items.rowCount ?? 0;
    rowsDeleted.delivery_suppressed =
      (await tx.query('DELETE FROM delivery_suppressed WHERE customer_no = $1', [customer.customer_no])).rowCount ?? 0;
    const deliveries = [...new Set(items.rows.map((r) => r.delivery_id))];
    await tx.query(
      `UPDATE delivery_batches b SET adds = n.adds, removes = n.removes
       FROM (SELECT b2.delivery_id, b2.batch_no, count(i.seq) FILTER (WHERE i.kind = 'add')::int AS adds, count(i.seq) FILTER (WHERE i.kind = 'remove')::int AS removes
             FROM delivery_batches b2 LEFT JOIN delivery_items i ON i.delivery_id = b2.delivery_id AND i.seq BETWEEN b2.first_seq AND b2.last_seq
             WHERE b2.delivery_id = ANY($1::text[]) GROUP BY 1, 2) n
       WHERE b.delivery_id = n.delivery_id AND b.batch_no = n.batch_no`,
      [deliveries],
    );
    await tx.query(
      `UPDATE destination_deliveries d SET adds = n.adds, removes = n.removes
       FROM (SELECT delivery_id, sum(adds)::int AS adds, sum(removes)::int AS removes FROM delivery_batches WHERE delivery_id = ANY($1::text[]) GROUP BY 1) n
       WHERE d.delivery_id = n.delivery_id`,
      [deliveries],
    );
    // Last in the transaction: the audit chain's lock is held until commit.
    await appendAudit(tx, {
      key: `erasure:${erasedSubject(input.customerId)}`,
      actor: input.requestedBy,
      action: 'privacy.erased',
      details: {
        subject: erasedSubject(input.customerId),
        reason: input.reason,
        rowsDeleted,
        snapshots: touched.rowCount ?? 0,
      },
    });
    return erasureReport(tx, input.customerId, erased.rows[0]!, false);
  });
}

async function erasureReport(
  tx: Pick<Db, 'query'>,
  customerId: string,
  row: { erased_at: Date; rows_deleted: Record<string, number>; snapshots: number },
  alreadyErased: boolean,
): Promise<ErasureReport> {
  return {
    customerId,
    erasedAt: row.erased_at.toISOString(),
    alreadyErased,
    rowsDeleted: row.rows_deleted,
    snapshots: row.snapshots,
    removals: await removalsOf(tx, customerId),
  };
}

/** Per cohort and destination that held the erased customer: whether the remove has gone out. */
export async function removalsOf(tx: Pick<Db, 'query'>, customerId: string): Promise<ErasureReport['removals']> {
  const removals = await tx.query<{
    cohort_id: string;
    destination: string;
    delivered_at: Date | null;
    last_error: string | null;
  }>(
    'SELECT cohort_id, destination, delivered_at, last_error FROM erasure_removals WHERE customer_id = $1 ORDER BY cohort_id, destination',
    [customerId],
  );
  return removals.rows.map((r) => ({
    cohortId: r.cohort_id,
    destination: r.destination,
    delivered: r.delivered_at !== null,
    ...(r.last_error ? { error: r.last_error } : {}),
  }));
}
