import type { Queryable } from '../data/db';
import type pg from 'pg';
import { copyInto } from './copy';
import type { Chunk } from './load-file';
import { EVENT_COPY_COLUMNS } from './staging';

// What one chunk's transaction writes. Identifiers are fixed here, the source name is a
// parameter. What compute reads is derived from the stored rows afterwards, once per ingest
// (derived-state.ts): an event's ingestion time is the moment its statement ran, after the chunk
// took its share of the derived-state lock, so "ingested after the last derivation" finds
// exactly the rows not yet in it.

const STAGE_STORED = `CREATE TEMP TABLE stage_stored (source text, event_id text, customer_id text, identity_scheme text,
  identity_value text, event_type text, occurred_at timestamptz, value numeric, properties jsonb) ON COMMIT DROP`;

/**
 * Stores a chunk's events, each already carrying its customer (or none yet), after linking the
 * anonymous ids its identify events name. The reader dropped repeats within the chunk (and the
 * chunk before), so the events go straight into the table by COPY: the primary key checks each
 * row as it goes in, for nothing extra (bench: a check of our own before the insert cost a probe
 * per row, the staging table and INSERT … SELECT as much again). A duplicate of an older row, or
 * one a concurrent load of the same source committed first, makes the key refuse the COPY: the
 * chunk is then staged and inserted skipping conflicts (slower per row, so only then).
 */
export async function storeEvents(
  tx: pg.PoolClient,
  source: string,
  chunk: Chunk,
): Promise<{ stored: number; unattributed: number }> {
  if (chunk.aliases.length > 0) {
    await tx.query(
      `INSERT INTO identity_aliases (alias_scheme, alias_value, scheme, value)
       SELECT DISTINCT ON (a) 'anonymous_id', a, 'user_id', u FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS x (a, u, n)
       ORDER BY a, n
       ON CONFLICT DO NOTHING`,
      [chunk.aliases.map((x) => x[0]), chunk.aliases.map((x) => x[1])],
    );
    await tx.query(
      `INSERT INTO identities (scheme, external_id, customer_id)
       SELECT DISTINCT ON (a.alias_value) a.alias_scheme, a.alias_value, i.customer_id
       FROM identity_aliases a JOIN identities i ON i.scheme = a.scheme AND i.external_id = a.value
       WHERE a.alias_scheme = 'anonymous_id' AND a.alias_value = ANY($1::text[])
       ORDER BY a.alias_value
       ON CONFLICT DO NOTHING`,
      [chunk.aliases.map((x) => x[0])],
    );
  }
  await tx.query('INSERT INTO event_types (event_type) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [
    [...chunk.types],
  ]);
  await tx.query('SAVEPOINT events_copy');
  try {
    await copyInto(tx, 'events', EVENT_COPY_COLUMNS, chunk.pieces);
    await tx.query('RELEASE SAVEPOINT events_copy');
    return { stored: chunk.events, unattributed: chunk.unattributed };
  } catch (err) {
    if ((err as { code?: string }).code !== '23505') throw err;
    await tx.query('ROLLBACK TO SAVEPOINT events_copy');
  }
  await tx.query(STAGE_STORED);
  await copyInto(tx, 'stage_stored', EVENT_COPY_COLUMNS, chunk.pieces);
  const r = await tx.query<{ stored: number; unattributed: number }>(
    `WITH changed AS (
       INSERT INTO events (${EVENT_COPY_COLUMNS.join(', ')}, ingested_at)
       SELECT ${EVENT_COPY_COLUMNS.join(', ')}, statement_timestamp() FROM stage_stored
       ON CONFLICT (source, event_id) DO NOTHING
       RETURNING customer_id)
     SELECT count(*)::int AS stored, count(*) FILTER (WHERE customer_id IS NULL)::int AS unattributed FROM changed`,
  );
  return r.rows[0]!;
}

/** The fields of a contact's current state, each its newest non-empty value (crm_history, PK order). */
const NEWEST_NON_EMPTY = ['email', 'plan', 'country', 'lifecycle_stage', 'signup_at', 'consent_marketing'];

/**
 * CRM records: every record is kept (crm_history), and each contact's current state is, field by
 * field, the newest non-empty value among all of its records, whatever order they arrived in. Every
 * identifier a record carries is linked to the contact.
 */
export async function mergeCrm(tx: Queryable): Promise<{ stored: number; duplicates: number }> {
  const counts = await tx.query<{ rows: number; distinct_rows: number }>(
    'SELECT count(*)::int AS rows, count(DISTINCT (crm_id, updated_at))::int AS distinct_rows FROM stage_crm',
  );
  // Every record is kept, so traits can be read as of any moment.
  await tx.query(`INSERT INTO crm_history (customer_id, updated_at, ingested_at, email, plan, country, lifecycle_stage, signup_at, consent_marketing)
    SELECT DISTINCT ON (crm_id, updated_at) crm_id, updated_at, statement_timestamp(), email, plan, country, lifecycle_stage, signup_at, consent_marketing
    FROM stage_crm ORDER BY crm_id, updated_at, line DESC
    ON CONFLICT DO NOTHING`);
  await tx.query(`INSERT INTO customers AS c (customer_id, email, plan, country, lifecycle_stage, signup_at, consent_marketing, crm_updated_at, first_seen_at, updated_at)
    SELECT customer_id, ${NEWEST_NON_EMPTY.map((f) => `(array_agg(${f} ORDER BY updated_at DESC) FILTER (WHERE ${f} IS NOT NULL))[1]`).join(', ')},
      max(updated_at), statement_timestamp(), now()
    FROM crm_history WHERE customer_id IN (SELECT crm_id FROM stage_crm) GROUP BY customer_id
    ON CONFLICT (customer_id) DO UPDATE SET
      ${NEWEST_NON_EMPTY.map((f) => `${f} = EXCLUDED.${f}`).join(', ')}, crm_updated_at = EXCLUDED.crm_updated_at, updated_at = now()`);
  await tx.query(`INSERT INTO identities AS i (scheme, external_id, customer_id)
    SELECT DISTINCT ON (scheme, external_id) scheme, external_id, crm_id FROM (
      SELECT 'crm_id' AS scheme, crm_id AS external_id, crm_id, updated_at FROM stage_crm
      UNION ALL SELECT 'email', email, crm_id, updated_at FROM stage_crm WHERE email IS NOT NULL
      UNION ALL SELECT 'user_id', product_user_id, crm_id, updated_at FROM stage_crm WHERE product_user_id IS NOT NULL
      UNION ALL SELECT 'billing_customer_id', billing_customer_id, crm_id, updated_at FROM stage_crm WHERE billing_customer_id IS NOT NULL
    ) links ORDER BY scheme, external_id, updated_at DESC
    ON CONFLICT (scheme, external_id) DO UPDATE SET customer_id = EXCLUDED.customer_id`);
  const c = counts.rows[0]!;
  return { stored: c.distinct_rows, duplicates: c.rows - c.distinct_rows };
}

/**
 * Late identity links: aliases whose target is now known become identities, and events stored
 * without a customer are attributed. An attributed event counts as ingested now: for its
 * customer it is new, so a cohort computed as of an earlier moment does not see it (point in
 * time), and the next derivation picks it up. Relies on events_unattributed_idx.
 */
export async function attributeLateEvents(tx: Queryable): Promise<number> {
  await tx.query(`INSERT INTO identities (scheme, external_id, customer_id)
    SELECT a.alias_scheme, a.alias_value, i.customer_id FROM identity_aliases a
    JOIN identities i ON i.scheme = a.scheme AND i.external_id = a.value
    ON CONFLICT DO NOTHING`);
  const result = await tx.query(
    `UPDATE events e SET customer_id = i.customer_id, ingested_at = statement_timestamp() FROM identities i
     WHERE e.customer_id IS NULL AND i.scheme = e.identity_scheme AND i.external_id = e.identity_value`,
  );
  return result.rowCount ?? 0;
}
