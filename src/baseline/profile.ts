import type { Db } from '../data/db';
import { addDerived, derivedOf, emptyMeasureSet } from '../cohorts/measures';
import { measuresQuery, Params, readPath, type ReadPath } from '../cohorts/measures-sql';
import type { MeasureSet } from '../cohorts/measures';
import type { BucketCounts } from './statistics';

// A snapshot's profile: how its members spread over the key attributes, and what they are worth,
// each read as of the snapshot's own asOf through the cohort engine's measures (from the derived
// customer state, or the raw rows for an earlier asOf; money in USD through fx_rates).

export const PROFILE_ATTRIBUTES = ['plan', 'country', 'lifecycle_stage', 'tenure', 'rfm'] as const;
export type ProfileAttribute = (typeof PROFILE_ATTRIBUTES)[number];

/** Bump when a bucket or the value measure changes meaning: stored profiles of another version are recomputed. */
export const PROFILE_VERSION = 1;
/** What the value figures are: the engine's `monetary` measure with its default window. */
export const VALUE_MEASURE = 'monetary, 90 days, USD (invoices paid − refunds)';

export interface ValueSummary {
  mean: number | null;
  median: number | null;
  p25: number | null;
  p75: number | null;
  min: number | null;
  max: number | null;
}

export interface SnapshotProfile {
  snapshotId: string;
  members: number;
  buckets: Record<ProfileAttribute, BucketCounts>;
  value: ValueSummary;
}

/** The measures a profile reads: value, RFM score, tenure. */
function profileMeasures(): { set: MeasureSet; monetary: string; rfm: string; tenure: string } {
  const set = emptyMeasureSet();
  const monetary = addDerived(set, derivedOf('monetary'));
  const rfm = addDerived(set, derivedOf('rfm_score'));
  const tenure = addDerived(set, derivedOf('tenure_days'));
  return { set, monetary, rfm, tenure };
}

/** Where members are read from: published-able snapshots, or shadow snapshots (never published). An allow-list of tables. */
export type MemberChunks = 'live' | 'shadow';
const MEMBER_CHUNKS: Record<MemberChunks, string> = { live: 'snapshot_chunks', shadow: 'shadow_snapshot_chunks' };

/**
 * Tenure from signup_at to asOf (the engine's tenure_days), and RFM as the quintile of the
 * engine's rfm_score among every customer existing at asOf who has one ('none': no activity
 * yet). Bucket names are constants here, never data, except the trait values themselves.
 */
function profileQuery(
  asOf: Date,
  snapshotIds: string[],
  path: ReadPath,
  chunks: MemberChunks,
): { sql: string; params: unknown[] } {
  const { set, monetary, rfm, tenure } = profileMeasures();
  const p = new Params(asOf);
  const population = measuresQuery(set, p, path, asOf);
  const ids = p.add(snapshotIds);
  const sql = `WITH population AS MATERIALIZED (${population.sql}),
    rfm_quintiles AS (
      SELECT v, ceil(5 * ((sum(n) OVER (ORDER BY v))::float8 / (sum(n) OVER ())::float8))::int AS quintile
      FROM (SELECT ${rfm} AS v, count(*) AS n FROM population WHERE ${rfm} > 0 GROUP BY 1) g),
    members AS (
      SELECT c.snapshot_id, n.customer_no FROM ${MEMBER_CHUNKS[chunks]} c CROSS JOIN LATERAL unnest(c.members) AS n (customer_no)
      WHERE c.snapshot_id = ANY(${ids}::text[])),
    profiled AS MATERIALIZED (
      SELECT m.snapshot_id, x.plan, x.country, x.lifecycle_stage, x.${tenure} AS tenure_days, q.quintile, x.${monetary} AS monetary
      FROM members m LEFT JOIN population x ON x.customer_no = m.customer_no LEFT JOIN rfm_quintiles q ON q.v = x.${rfm}),
    counts AS (
      SELECT f.snapshot_id, b.attribute, b.bucket, count(*)::int AS members
      FROM profiled f CROSS JOIN LATERAL (VALUES
        ('plan', COALESCE(f.plan, 'unknown')),
        ('country', COALESCE(f.country, 'unknown')),
        ('lifecycle_stage', COALESCE(f.lifecycle_stage, 'unknown')),
        ('tenure', CASE WHEN f.tenure_days IS NULL THEN 'unknown' WHEN f.tenure_days < 30 THEN '<30d' WHEN f.tenure_days < 90 THEN '30-90d'
                        WHEN f.tenure_days < 180 THEN '90-180d' WHEN f.tenure_days < 365 THEN '180-365d' WHEN f.tenure_days < 730 THEN '1-2y' ELSE '>=2y' END),
        ('rfm', CASE WHEN f.quintile IS NULL THEN 'none' ELSE 'q' || f.quintile END)) AS b (attribute, bucket)
      GROUP BY 1, 2, 3),
    value_stats AS (
      SELECT snapshot_id, count(*)::int AS members, avg(monetary)::float8 AS mean,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY monetary) AS median,
             percentile_cont(0.25) WITHIN GROUP (ORDER BY monetary) AS p25,
             percentile_cont(0.75) WITHIN GROUP (ORDER BY monetary) AS p75,
             min(monetary)::float8 AS min, max(monetary)::float8 AS max
      FROM profiled GROUP BY 1)
    SELECT s.snapshot_id, COALESCE(v.members, 0) AS members, v.mean, v.median, v.p25, v.p75, v.min, v.max,
           COALESCE((SELECT jsonb_agg(jsonb_build_array(c.attribute, c.bucket, c.members)) FROM counts c WHERE c.snapshot_id = s.snapshot_id), '[]') AS buckets
    FROM unnest(${ids}::text[]) AS s (snapshot_id) LEFT JOIN value_stats v ON v.snapshot_id = s.snapshot_id`;
  return { sql, params: p.values };
}

interface ProfileRow extends ValueSummary {
  snapshot_id: string;
  members: number;
  buckets: Array<[ProfileAttribute, string, number]>;
}

/**
 * Profiles of snapshots that share one asOf, in one statement: one pass of the measures over
 * every customer existing then (the RFM quintiles rank among all of them), joined to the members.
 */
export async function computeProfiles(
  db: Db,
  asOf: Date,
  snapshotIds: string[],
  chunks: MemberChunks = 'live',
): Promise<SnapshotProfile[]> {
  // One snapshot for the choice of read path and the read itself.
  const rows = await db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const { sql, params } = profileQuery(asOf, snapshotIds, await readPath(tx, asOf, profileMeasures().set), chunks);
    return (await tx.query<ProfileRow>(sql, params)).rows;
  });
  return rows.map((r) => {
    const buckets = Object.fromEntries(PROFILE_ATTRIBUTES.map((a) => [a, {} as Record<string, number>])) as Record<
      ProfileAttribute,
      Record<string, number>
    >;
    for (const [attribute, bucket, members] of r.buckets) buckets[attribute][bucket] = members;
    return {
      snapshotId: r.snapshot_id,
      members: r.members,
      buckets,
      value: { mean: r.mean, median: r.median, p25: r.p25, p75: r.p75, min: r.min, max: r.max },
    };
  });
}
