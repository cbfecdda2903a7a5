import type { Queryable } from '../data/db';

// Set-based merges from the staging tables of one chunk. Each runs inside the chunk's
// transaction; identifiers are fixed here, the source name is a parameter.

// Rollup rows are keyed by the filterable properties too (cohortflow_rollup_dims, migration 004).
const ROLLUP_UPSERT = `INSERT INTO customer_daily AS d (day, customer_id, event_type, dims, events, value_sum)
  SELECT (occurred_at AT TIME ZONE 'UTC')::date, customer_id, event_type, cohortflow_rollup_dims(properties), count(*), COALESCE(sum(value), 0)
  FROM changed WHERE customer_id IS NOT NULL GROUP BY 1, 2, 3, 4
  ON CONFLICT (day, customer_id, event_type, dims) DO UPDATE SET events = d.events + EXCLUDED.events, value_sum = d.value_sum + EXCLUDED.value_sum`;

export interface MergedEvents {
  stored: number;
  unattributed: number;
  newest: Date | null;
}

/**
 * Aliases first (an identify event links its anonymous id), then the events: new ones are
 * inserted with the customer their identifier resolves to (or none yet), duplicates by
 * (source, event_id) are dropped, and the rollups grow by exactly what was inserted.
 */
export async function mergeEvents(tx: Queryable, source: string): Promise<MergedEvents> {
  await tx.query(`INSERT INTO identity_aliases (alias_scheme, alias_value, scheme, value)
    SELECT DISTINCT ON (alias_scheme, alias_value) alias_scheme, alias_value, id_scheme, id_value
    FROM stage_events WHERE alias_value IS NOT NULL ORDER BY alias_scheme, alias_value
    ON CONFLICT DO NOTHING`);
  await tx.query(`INSERT INTO identities (scheme, external_id, customer_id)
    SELECT DISTINCT a.alias_scheme, a.alias_value, i.customer_id
    FROM (SELECT DISTINCT alias_scheme, alias_value FROM stage_events WHERE alias_value IS NOT NULL) s
    JOIN identity_aliases a USING (alias_scheme, alias_value)
    JOIN identities i ON i.scheme = a.scheme AND i.external_id = a.value
    ON CONFLICT DO NOTHING`);
  // Dedup by anti-join, not ON CONFLICT: the speculative insertion ON CONFLICT does for every
  // row tripled the insert's cost (bench). The source's lock keeps two loads of one source from
  // racing between the check and the insert; the primary key still refuses any duplicate.
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`cohortflow.ingest.${source}`]);
  const result = await tx.query<{ stored: number; unattributed: number; newest: Date | null }>(
    `WITH changed AS (
       INSERT INTO events (source, event_id, customer_id, identity_scheme, identity_value, event_type, occurred_at, ingested_at, value, properties)
       SELECT $1, s.event_id, i.customer_id, s.id_scheme, s.id_value, s.event_type, s.occurred_at, now(), s.value, s.properties
       FROM (SELECT DISTINCT ON (event_id) * FROM stage_events ORDER BY event_id) s
       LEFT JOIN identities i ON i.scheme = s.id_scheme AND i.external_id = s.id_value
       WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.source = $1 AND e.event_id = s.event_id)
       RETURNING customer_id, occurred_at, event_type, value, properties
     ), rolled AS (${ROLLUP_UPSERT} RETURNING 1)
     SELECT count(*)::int AS stored, count(*) FILTER (WHERE customer_id IS NULL)::int AS unattributed, max(occurred_at) AS newest FROM changed`,
    [source],
  );
  // The vocabulary rules are checked against; a handful of rows per chunk.
  await tx.query(
    'INSERT INTO event_types (event_type) SELECT DISTINCT event_type FROM stage_events ON CONFLICT DO NOTHING',
  );
  return result.rows[0]!;
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
  await tx.query(`INSERT INTO crm_history (customer_id, updated_at, email, plan, country, lifecycle_stage, signup_at, consent_marketing)
    SELECT DISTINCT ON (crm_id, updated_at) crm_id, updated_at, email, plan, country, lifecycle_stage, signup_at, consent_marketing
    FROM stage_crm ORDER BY crm_id, updated_at, line DESC
    ON CONFLICT DO NOTHING`);
  await tx.query(`INSERT INTO customers AS c (customer_id, email, plan, country, lifecycle_stage, signup_at, consent_marketing, crm_updated_at, first_seen_at, updated_at)
    SELECT customer_id, ${NEWEST_NON_EMPTY.map((f) => `(array_agg(${f} ORDER BY updated_at DESC) FILTER (WHERE ${f} IS NOT NULL))[1]`).join(', ')},
      max(updated_at), now(), now()
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
 * without a customer are attributed and added to the rollups. An attributed event counts as
 * ingested now: for the customer it is new, so a cohort computed as of an earlier moment
 * does not see it (point in time). Relies on events_unattributed_idx.
 */
export async function attributeLateEvents(tx: Queryable): Promise<number> {
  await tx.query(`INSERT INTO identities (scheme, external_id, customer_id)
    SELECT a.alias_scheme, a.alias_value, i.customer_id FROM identity_aliases a
    JOIN identities i ON i.scheme = a.scheme AND i.external_id = a.value
    ON CONFLICT DO NOTHING`);
  const result = await tx.query<{ attributed: number }>(
    `WITH changed AS (
       UPDATE events e SET customer_id = i.customer_id, ingested_at = now() FROM identities i
       WHERE e.customer_id IS NULL AND i.scheme = e.identity_scheme AND i.external_id = e.identity_value
       RETURNING e.customer_id, e.occurred_at, e.event_type, e.value, e.properties
     ), rolled AS (${ROLLUP_UPSERT} RETURNING 1)
     SELECT count(*)::int AS attributed FROM changed`,
  );
  return result.rows[0]!.attributed;
}
