import type { Queryable } from '../data/db';

// Whether a cohort still means what it meant: for each recent published version, the drift of
// its members' key attributes (the PSI its baseline tests measured against the version before)
// beside KPIs computed from the data for its members. Every KPI is read from the billing events
// of the days the windows cover and is defined in KPI_DEFINITIONS, which the dashboard shows as
// written.

export const KPI_WINDOW_DAYS = 30;

export interface KpiDefinition {
  name: 'conversion' | 'revenuePerMember' | 'churn';
  label: string;
  definition: string;
}

export const KPI_DEFINITIONS: KpiDefinition[] = [
  {
    name: 'conversion',
    label: 'Conversion within 30 days',
    definition:
      'Share of the version’s members with a subscription_started billing event in the window (30 days up to its asOf, or the 30 days after it).',
  },
  {
    name: 'revenuePerMember',
    label: 'Revenue per member, 30 days (USD)',
    definition:
      'invoice_paid minus refund amounts in the window, in USD through fx_rates (an amount in a currency without a rate counts as none), divided by the number of members.',
  },
  {
    name: 'churn',
    label: 'Churn within 30 days',
    definition: 'Share of the version’s members with a subscription_cancelled billing event in the window.',
  },
];

export interface KpiFigures {
  conversion: number;
  revenuePerMember: number;
  churn: number;
}

export interface DriftFigure {
  dimension: string;
  psi: number | null;
  verdict: string;
}

export interface TrendPoint {
  version: number;
  publishedAt: string;
  runId: string;
  asOf: string;
  members: number;
  /** Drift against the version it replaced, per attribute; empty for a first publish or a rollback. */
  drift: DriftFigure[];
  /** The 30 days up to asOf: what the members did when they were chosen. */
  before: KpiFigures;
  /** The 30 days after asOf, as far as the data reaches (observedDays); null before a day has passed. */
  after: (KpiFigures & { observedDays: number }) | null;
}

export interface CohortTrends {
  cohortId: string;
  windowDays: number;
  /** The newest event time stored for any source: how far the "after" windows can see. */
  dataUntil: string | null;
  definitions: KpiDefinition[];
  versions: TrendPoint[];
}

const KPI_EVENTS = ['subscription_started', 'subscription_cancelled', 'invoice_paid', 'refund'];

interface KpiRow {
  version: number;
  published_at: Date;
  run_id: string;
  as_of: Date;
  members: number;
  conversion_before: number;
  churn_before: number;
  revenue_before: number;
  conversion_after: number;
  churn_after: number;
  revenue_after: number;
}

/**
 * One statement for every version shown: their members, then one range scan of the events (the
 * BRIN index on occurred_at) over the days every window covers, joined to the members by
 * customer. Versions without a snapshot (withdrawals) have no members and are left out.
 */
async function kpiRows(db: Queryable, cohortId: string, limit: number): Promise<KpiRow[]> {
  const r = await db.query<KpiRow>(
    `WITH shown AS (
       SELECT pv.version, pv.published_at, pv.run_id, s.snapshot_id, s.as_of, (s.as_of AT TIME ZONE 'UTC')::date AS d
       FROM published_versions pv JOIN cohort_snapshots s ON s.snapshot_id = pv.snapshot_id
       WHERE pv.cohort_id = $1 ORDER BY pv.version DESC LIMIT $2),
     members AS (
       SELECT v.version, v.d, c.customer_id
       FROM shown v JOIN snapshot_chunks k ON k.snapshot_id = v.snapshot_id
       CROSS JOIN LATERAL unnest(k.members) AS n (customer_no)
       JOIN customers c ON c.customer_no = n.customer_no),
     days AS (
       SELECT e.customer_id, (e.occurred_at AT TIME ZONE 'UTC')::date AS day, e.event_type,
              CASE e.event_type WHEN 'invoice_paid' THEN 1 WHEN 'refund' THEN -1 END
                * CASE WHEN e.properties ? 'currency' THEN e.value / fx.per_usd ELSE e.value END AS usd
       FROM events e LEFT JOIN fx_rates fx ON fx.currency = e.properties->>'currency'
       WHERE e.occurred_at >= ((SELECT min(d) FROM shown) - $3::int + 1)::timestamp AT TIME ZONE 'UTC'
         AND e.occurred_at < ((SELECT max(d) FROM shown) + $3::int + 1)::timestamp AT TIME ZONE 'UTC'
         AND e.event_type = ANY($4::text[]) AND e.customer_id IS NOT NULL),
     per_member AS (
       SELECT m.version, m.customer_id,
              bool_or(x.event_type = 'subscription_started' AND x.day <= m.d) AS converted_before,
              bool_or(x.event_type = 'subscription_cancelled' AND x.day <= m.d) AS churned_before,
              sum(x.usd) FILTER (WHERE x.day <= m.d) AS usd_before,
              bool_or(x.event_type = 'subscription_started' AND x.day > m.d) AS converted_after,
              bool_or(x.event_type = 'subscription_cancelled' AND x.day > m.d) AS churned_after,
              sum(x.usd) FILTER (WHERE x.day > m.d) AS usd_after
       FROM members m LEFT JOIN days x ON x.customer_id = m.customer_id AND x.day > m.d - $3::int AND x.day <= m.d + $3::int
       GROUP BY 1, 2)
     SELECT v.version, v.published_at, v.run_id, v.as_of, count(p.customer_id)::int AS members,
            COALESCE(avg(COALESCE(p.converted_before, false)::int), 0)::float8 AS conversion_before,
            COALESCE(avg(COALESCE(p.churned_before, false)::int), 0)::float8 AS churn_before,
            COALESCE(sum(p.usd_before) / NULLIF(count(p.customer_id), 0), 0)::float8 AS revenue_before,
            COALESCE(avg(COALESCE(p.converted_after, false)::int), 0)::float8 AS conversion_after,
            COALESCE(avg(COALESCE(p.churned_after, false)::int), 0)::float8 AS churn_after,
            COALESCE(sum(p.usd_after) / NULLIF(count(p.customer_id), 0), 0)::float8 AS revenue_after
     FROM shown v LEFT JOIN per_member p ON p.version = v.version
     GROUP BY v.version, v.published_at, v.run_id, v.as_of ORDER BY v.version`,
    [cohortId, limit, KPI_WINDOW_DAYS, KPI_EVENTS],
  );
  return r.rows;
}

async function driftOf(db: Queryable, cohortId: string, versions: number[]): Promise<Map<number, DriftFigure[]>> {
  const r = await db.query<{ version: number; dimension: string; psi: number | null; verdict: string }>(
    `SELECT pv.version, c->>'subject' AS dimension, (c->'figures'->>'psi')::float8 AS psi, c->>'verdict' AS verdict
     FROM published_versions pv
     JOIN baseline_reports b ON b.run_id = pv.run_id AND b.cohort_id = pv.cohort_id
     CROSS JOIN LATERAL jsonb_array_elements(b.checks) WITH ORDINALITY AS e (c, n)
     WHERE pv.cohort_id = $1 AND pv.version = ANY($2::int[]) AND c->>'name' = 'drift' AND c ? 'subject'
     ORDER BY pv.version, e.n`,
    [cohortId, versions],
  );
  const byVersion = new Map<number, DriftFigure[]>();
  for (const row of r.rows)
    byVersion.set(row.version, [
      ...(byVersion.get(row.version) ?? []),
      { dimension: row.dimension, psi: row.psi, verdict: row.verdict },
    ]);
  return byVersion;
}

const DAY_MS = 86_400_000;
const round = (x: number, digits: number) => Number(x.toFixed(digits));

/** The latest `limit` versions with a snapshot, oldest first. */
export async function cohortTrends(db: Queryable, cohortId: string, limit: number): Promise<CohortTrends> {
  const rows = await kpiRows(db, cohortId, limit);
  const drift = await driftOf(
    db,
    cohortId,
    rows.map((r) => r.version),
  );
  const until = (await db.query<{ until: Date | null }>('SELECT max(watermark) AS until FROM source_watermarks'))
    .rows[0]?.until;
  const versions = rows.map((r): TrendPoint => {
    const observedDays = until
      ? Math.min(KPI_WINDOW_DAYS, Math.max(0, Math.floor((until.getTime() - r.as_of.getTime()) / DAY_MS)))
      : 0;
    return {
      version: r.version,
      publishedAt: r.published_at.toISOString(),
      runId: r.run_id,
      asOf: r.as_of.toISOString(),
      members: r.members,
      drift: drift.get(r.version) ?? [],
      before: {
        conversion: round(r.conversion_before, 4),
        revenuePerMember: round(r.revenue_before, 2),
        churn: round(r.churn_before, 4),
      },
      after:
        observedDays > 0
          ? {
              conversion: round(r.conversion_after, 4),
              revenuePerMember: round(r.revenue_after, 2),
              churn: round(r.churn_after, 4),
              observedDays,
            }
          : null,
    };
  });
  return {
    cohortId,
    windowDays: KPI_WINDOW_DAYS,
    dataUntil: until?.toISOString() ?? null,
    definitions: KPI_DEFINITIONS,
    versions,
  };
}
