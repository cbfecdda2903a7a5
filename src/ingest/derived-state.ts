import type { Db, Queryable } from '../data/db';

// What compute reads is derived from the stored rows once per ingest: one set-based pass over
// every row ingested since the last pass. Chunks that store rows hold a shared lock; the pass
// holds it alone, so when it starts no chunk is half-committed and every row it has not seen
// carries a later ingestion time (the merges stamp rows after taking their share).

/** The advisory lock key (pg_advisory_xact_lock) that orders derivation after the chunks it covers. */
const DERIVED_STATE_LOCK = 0x636f686f; // "coho"

/** Taken by every transaction that stores, attributes or erases rows. */
export async function holdDerivedStateShared(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock_shared($1)', [DERIVED_STATE_LOCK]);
}

export interface Derivation {
  /** Rows ingested since the previous pass that this one took in. */
  events: number;
  /** Every row ingested up to this moment is in the derived state. */
  completeUntil: Date;
}

/**
 * Brings the rollups up to date with every event ingested since the last pass, in one
 * transaction: the new rows are aggregated once (day, customer, type, filterable properties) and
 * added to the rollups they belong to. Relies on events_ingested_brin: the rows to read are the
 * newest ones.
 */
export async function deriveState(db: Db): Promise<Derivation> {
  return db.transaction(async (tx) => {
    await tx.query(`SET LOCAL work_mem = '256MB'`);
    await tx.query('SELECT pg_advisory_xact_lock($1)', [DERIVED_STATE_LOCK]);
    const mark = await tx.query<{ since: Date; until: Date }>(
      `SELECT complete_until AS since, clock_timestamp() AS until FROM derived_state WHERE name = 'customer_daily' FOR UPDATE`,
    );
    const { since, until } = mark.rows[0]!;
    const delta = await tx.query(
      `CREATE TEMP TABLE rollup_delta ON COMMIT DROP AS
       SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, customer_id, event_type, cohortflow_rollup_dims(properties) AS dims,
              count(*)::int AS events, COALESCE(sum(value), 0) AS value_sum
       FROM events WHERE ingested_at > $1 AND customer_id IS NOT NULL GROUP BY 1, 2, 3, 4`,
      [since],
    );
    if ((delta.rowCount ?? 0) > 0) {
      await tx.query('ANALYZE rollup_delta');
      await tx.query(`UPDATE customer_daily d SET events = d.events + x.events, value_sum = d.value_sum + x.value_sum
        FROM rollup_delta x WHERE d.day = x.day AND d.customer_id = x.customer_id AND d.event_type = x.event_type AND d.dims = x.dims`);
      await tx.query(`INSERT INTO customer_daily (day, customer_id, event_type, dims, events, value_sum)
        SELECT x.day, x.customer_id, x.event_type, x.dims, x.events, x.value_sum FROM rollup_delta x
        WHERE NOT EXISTS (SELECT 1 FROM customer_daily d WHERE d.day = x.day AND d.customer_id = x.customer_id AND d.event_type = x.event_type AND d.dims = x.dims)`);
    }
    await tx.query(`UPDATE derived_state SET complete_until = $1, derived_at = now() WHERE name = 'customer_daily'`, [
      until,
    ]);
    const events = await tx.query<{ n: number }>('SELECT COALESCE(sum(events), 0)::int AS n FROM rollup_delta');
    return { events: events.rows[0]!.n, completeUntil: until };
  });
}
