import type { Queryable } from '../data/db';
import { KPI_WINDOW_DAYS, type KpiFigures } from '../governance/cohort-trends';

// The KPIs a shadow is compared on: the cohort trends' KPIs (conversion, revenue per member,
// churn) over the 30 days up to the run's asOf, for the live members and the shadow's, plus the
// members' mean value (the baseline tests' monetary measure). Counted inside Postgres from the
// events; only the figures come back.

export interface ShadowKpis {
  live: KpiFigures & { meanValue: number | null };
  shadow: KpiFigures & { meanValue: number | null };
  /** shadow − live, per KPI; null when either side has no figure. */
  difference: KpiFigures & { meanValue: number | null };
}

const KPI_EVENTS = ['subscription_started', 'subscription_cancelled', 'invoice_paid', 'refund'];

/**
 * One statement for both member sets: their customers, one range scan of the events (the BRIN
 * index on occurred_at) over the UTC days of the window, joined to the members by customer.
 */
async function kpisOf(
  db: Queryable,
  liveSnapshotId: string,
  shadowSnapshotId: string,
  asOf: Date,
): Promise<{ live: KpiFigures; shadow: KpiFigures }> {
  const r = await db.query<{ side: 'live' | 'shadow'; conversion: number; churn: number; revenue: number }>(
    `WITH members AS (
       SELECT 'live' AS side, n.customer_no FROM snapshot_chunks k CROSS JOIN LATERAL unnest(k.members) AS n (customer_no) WHERE k.snapshot_id = $1
       UNION ALL
       SELECT 'shadow', n.customer_no FROM shadow_snapshot_chunks k CROSS JOIN LATERAL unnest(k.members) AS n (customer_no) WHERE k.snapshot_id = $2),
     days AS (
       SELECT e.customer_id, e.event_type,
              CASE e.event_type WHEN 'invoice_paid' THEN 1 WHEN 'refund' THEN -1 END
                * CASE WHEN e.properties ? 'currency' THEN e.value / fx.per_usd ELSE e.value END AS usd
       FROM events e LEFT JOIN fx_rates fx ON fx.currency = e.properties->>'currency'
       WHERE e.occurred_at >= ((($3::timestamptz AT TIME ZONE 'UTC')::date - $4::int + 1)::timestamp AT TIME ZONE 'UTC')
         AND e.occurred_at < ((($3::timestamptz AT TIME ZONE 'UTC')::date + 1)::timestamp AT TIME ZONE 'UTC')
         AND e.event_type = ANY($5::text[]) AND e.customer_id IS NOT NULL),
     per_member AS (
       SELECT m.side, m.customer_no,
              bool_or(x.event_type = 'subscription_started') AS converted,
              bool_or(x.event_type = 'subscription_cancelled') AS churned,
              sum(x.usd) AS usd
       FROM members m JOIN customers c ON c.customer_no = m.customer_no
       LEFT JOIN days x ON x.customer_id = c.customer_id
       GROUP BY 1, 2)
     SELECT s.side,
            COALESCE(avg(COALESCE(p.converted, false)::int), 0)::float8 AS conversion,
            COALESCE(avg(COALESCE(p.churned, false)::int), 0)::float8 AS churn,
            COALESCE(sum(p.usd) / NULLIF(count(p.customer_no), 0), 0)::float8 AS revenue
     FROM (VALUES ('live'), ('shadow')) AS s (side) LEFT JOIN per_member p ON p.side = s.side
     GROUP BY s.side`,
    [liveSnapshotId, shadowSnapshotId, asOf.toISOString(), KPI_WINDOW_DAYS, KPI_EVENTS],
  );
  const of = (side: 'live' | 'shadow'): KpiFigures => {
    const row = r.rows.find((x) => x.side === side)!;
    return { conversion: row.conversion, revenuePerMember: row.revenue, churn: row.churn };
  };
  return { live: of('live'), shadow: of('shadow') };
}

const minus = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);

export async function shadowKpis(
  db: Queryable,
  input: {
    liveSnapshotId: string;
    shadowSnapshotId: string;
    asOf: Date;
    liveMeanValue: number | null;
    shadowMeanValue: number | null;
  },
): Promise<ShadowKpis> {
  const k = await kpisOf(db, input.liveSnapshotId, input.shadowSnapshotId, input.asOf);
  const live = { ...k.live, meanValue: input.liveMeanValue };
  const shadow = { ...k.shadow, meanValue: input.shadowMeanValue };
  return {
    live,
    shadow,
    difference: {
      conversion: shadow.conversion - live.conversion,
      revenuePerMember: shadow.revenuePerMember - live.revenuePerMember,
      churn: shadow.churn - live.churn,
      meanValue: minus(shadow.meanValue, live.meanValue),
    },
  };
}
