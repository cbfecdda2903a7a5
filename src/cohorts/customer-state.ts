import type { Db, Queryable } from '../data/db';
import { deriveFeatures } from './feature-derivation';
import { featureColumns, type FeatureSpec, type StateFeature } from './features';

// customer_state is derived from the stored rows once per ingest: one set-based pass over every
// row ingested since the last pass. Chunks that store rows hold a shared lock; the pass holds it
// alone, so when it starts no chunk is half-committed and every row it has not seen carries a
// later ingestion time (rows are stamped after their chunk took its share).

/** The advisory lock key (pg_advisory_xact_lock) that orders a derivation after the chunks it covers. */
const DERIVED_STATE_LOCK = 0x636f686f; // "coho"

/** Taken by every transaction that stores, attributes or erases rows. */
export async function holdDerivedStateShared(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock_shared($1)', [DERIVED_STATE_LOCK]);
}

export interface Derivation {
  /** Customers whose traits changed. */
  traits: number;
  /** Customers whose features changed. */
  customers: number;
  /** Every row ingested up to this moment is in the derived state. */
  completeUntil: Date;
}

/** The rates sums were converted with: a sum feature built with other rates is rebuilt. */
export const FX_OF = `(SELECT COALESCE(md5(string_agg(currency || '=' || per_usd::text, ',' ORDER BY currency)), '') FROM fx_rates)`;

/** Brings customer_state up to date with every row ingested since the last pass, in one transaction. */
export async function deriveState(db: Db): Promise<Derivation> {
  return db.transaction((tx) => deriveWithin(tx));
}

async function deriveWithin(tx: Queryable): Promise<Derivation> {
  await tx.query(`SET LOCAL work_mem = '256MB'`);
  await tx.query('SELECT pg_advisory_xact_lock($1)', [DERIVED_STATE_LOCK]);
  const mark = await tx.query<{ since: Date; until: Date }>(
    `SELECT complete_until AS since, clock_timestamp() AS until FROM derived_state WHERE name = 'customer_state' FOR UPDATE`,
  );
  const { since, until } = mark.rows[0]!;
  // Traits: the customers a CRM record changed since, as the merge left them (crm_history_ingested_idx).
  const traits = await tx.query(
    `INSERT INTO customer_state (customer_id, customer_no, first_seen_at, plan, country, lifecycle_stage, signup_at, consent_marketing)
     SELECT c.customer_id, c.customer_no, c.first_seen_at, c.plan, c.country, c.lifecycle_stage, c.signup_at, c.consent_marketing
     FROM customers c WHERE c.erased_at IS NULL AND c.customer_id IN (SELECT customer_id FROM crm_history WHERE ingested_at > $1)
     ON CONFLICT (customer_id) DO UPDATE SET plan = EXCLUDED.plan, country = EXCLUDED.country, lifecycle_stage = EXCLUDED.lifecycle_stage,
       signup_at = EXCLUDED.signup_at, consent_marketing = EXCLUDED.consent_marketing`,
    [since],
  );
  const customers = await deriveFeatures(tx, await builtFeatures(tx), since);
  await tx.query(`UPDATE derived_state SET complete_until = $1, derived_at = now() WHERE name = 'customer_state'`, [
    until,
  ]);
  return { traits: traits.rowCount ?? 0, customers, completeUntil: until };
}

const featureOfRow = (r: { feature_id: number; spec: FeatureSpec; sums: boolean }): StateFeature => ({
  id: r.feature_id,
  spec: r.spec,
  sums: r.sums,
});

async function builtFeatures(tx: Queryable): Promise<StateFeature[]> {
  const r = await tx.query<{ feature_id: number; spec: FeatureSpec; sums: boolean }>(
    'SELECT feature_id, spec, sums FROM state_features WHERE built_at IS NOT NULL ORDER BY feature_id',
  );
  return r.rows.map(featureOfRow);
}

/** A kept feature, and whether its sums were converted with today's fx_rates. */
export type KeptFeature = StateFeature & { fxCurrent: boolean };

/** The features kept now, by key. */
export async function keptFeatures(db: Queryable): Promise<Map<string, KeptFeature>> {
  const r = await db.query<{ feature_id: number; key: string; spec: FeatureSpec; sums: boolean; fx_current: boolean }>(
    `SELECT feature_id, key, spec, sums, (NOT sums OR fx = ${FX_OF}) AS fx_current
     FROM state_features WHERE built_at IS NOT NULL`,
  );
  return new Map(r.rows.map((x) => [x.key, { ...featureOfRow(x), fxCurrent: x.fx_current }]));
}

/** Whether a kept feature answers what is wanted of it: there, with sums if asked, in today's rates. */
export const answers = (f: KeptFeature | undefined, w: { sums: boolean }): f is KeptFeature =>
  f !== undefined && (!w.sums || f.sums) && (!f.sums || f.fxCurrent);

/**
 * Makes sure customer_state keeps every feature of `wanted`, with sums where asked and in the
 * current fx rates: missing ones are registered, their columns added and built from all events in
 * one pass; one whose sums are missing or in old rates is rebuilt. Under the derivation lock,
 * after bringing the state up to date, so the new columns cover exactly what the others do.
 * Returns the kept features.
 */
export async function keepFeatures(
  db: Db,
  wanted: Map<string, { spec: FeatureSpec; sums: boolean }>,
): Promise<Map<string, KeptFeature>> {
  const stale = (kept: Map<string, KeptFeature>) => [...wanted].filter(([key, w]) => !answers(kept.get(key), w));
  const before = await keptFeatures(db);
  if (stale(before).length === 0) return before;
  return db.transaction(async (tx) => {
    await deriveWithin(tx);
    const kept = await keptFeatures(tx);
    const rebuilt: StateFeature[] = [];
    for (const [key, w] of stale(kept)) {
      const r = await tx.query<{ feature_id: number; sums: boolean }>(
        `INSERT INTO state_features (key, spec, sums) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET sums = state_features.sums OR EXCLUDED.sums, built_at = NULL
         RETURNING feature_id, sums`,
        [key, JSON.stringify(w.spec), w.sums],
      );
      const { feature_id: id, sums } = r.rows[0]!;
      const c = featureColumns(id);
      // Column names are built from the feature's number only.
      await tx.query(
        `ALTER TABLE customer_state ADD COLUMN IF NOT EXISTS ${c.days} int[], ADD COLUMN IF NOT EXISTS ${c.counts} int[]${
          sums ? `, ADD COLUMN IF NOT EXISTS ${c.values} numeric[]` : ''
        }`,
      );
      await tx.query(
        `UPDATE customer_state SET ${c.days} = NULL, ${c.counts} = NULL${sums ? `, ${c.values} = NULL` : ''}
         WHERE ${c.days} IS NOT NULL`,
      );
      rebuilt.push({ id, spec: w.spec, sums });
    }
    await deriveFeatures(tx, rebuilt, null);
    await tx.query(
      `UPDATE state_features SET built_at = now(), fx = CASE WHEN sums THEN ${FX_OF} END WHERE feature_id = ANY($1::int[])`,
      [rebuilt.map((f) => f.id)],
    );
    return keptFeatures(tx);
  });
}

/**
 * Derives customer_state again from all stored rows: every customer's traits and every kept
 * feature. For rows written without the ingest (a repair by hand, a test's data); the ingest keeps
 * the state up to date by itself.
 */
export async function rebuildCustomerState(db: Db): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SET LOCAL work_mem = '256MB'`);
    await tx.query('SELECT pg_advisory_xact_lock($1)', [DERIVED_STATE_LOCK]);
    await tx.query('TRUNCATE customer_state');
    await tx.query(`INSERT INTO customer_state (customer_id, customer_no, first_seen_at, plan, country, lifecycle_stage, signup_at, consent_marketing)
      SELECT customer_id, customer_no, first_seen_at, plan, country, lifecycle_stage, signup_at, consent_marketing
      FROM customers WHERE erased_at IS NULL`);
    const features = await builtFeatures(tx);
    await deriveFeatures(tx, features, null);
    await tx.query(`UPDATE state_features SET fx = CASE WHEN sums THEN ${FX_OF} END WHERE built_at IS NOT NULL`);
    await tx.query(
      `UPDATE derived_state SET complete_until = clock_timestamp(), derived_at = now() WHERE name = 'customer_state'`,
    );
  });
}
