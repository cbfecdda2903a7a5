import type { Queryable } from '../data/db';
import type { ArmFigures } from './analysis';
import { type Kpi } from './experiment';
import { measurableCutoff } from './kpi-window';

// Per-arm aggregates of an experiment's KPI, computed in PostgreSQL: only counts, sums and
// variances leave the database. Each member's window starts at its own assigned_at; members
// whose window has not closed by asOf count in their arm's size, not in its KPI. Events are read
// through events_customer_type_time_idx (customer_id, event_type, occurred_at): one index range
// per measured member.

/** Billing events that make revenue, with their sign: a refund takes money back. */
const REVENUE_SQL = `(SELECT COALESCE(sum(CASE e.event_type WHEN 'invoice_paid' THEN 1 ELSE -1 END
       * CASE WHEN e.properties ? 'currency' THEN e.value / fx.per_usd ELSE e.value END), 0)
     FROM events e LEFT JOIN fx_rates fx ON fx.currency = e.properties->>'currency'
     WHERE e.customer_id = a.customer_id AND e.event_type IN ('invoice_paid', 'refund')
       AND e.occurred_at >= a.assigned_at + $3 * interval '1 day' AND e.occurred_at < a.assigned_at + $4 * interval '1 day')`;

/** 1 when the member had the event (any event when $6 is null) in its window. */
const EVENT_SQL = `(EXISTS (SELECT 1 FROM events e
     WHERE e.customer_id = a.customer_id AND ($6::text IS NULL OR e.event_type = $6)
       AND e.occurred_at >= a.assigned_at + $3 * interval '1 day' AND e.occurred_at < a.assigned_at + $4 * interval '1 day'))::int`;

function windowDays(kpi: Kpi): { from: number; until: number; event: string | null } {
  if (kpi.kind === 'retention')
    return { from: kpi.afterDays, until: kpi.afterDays + kpi.windowDays, event: kpi.event ?? null };
  return { from: 0, until: kpi.withinDays, event: kpi.kind === 'conversion' ? kpi.event : null };
}

/** Every arm's size and KPI as of `asOf`; arms without members get zeros. */
export async function armFigures(
  db: Queryable,
  experiment: { id: string; kpi: Kpi; arms: { id: string }[] },
  asOf: Date,
): Promise<ArmFigures[]> {
  const w = windowDays(experiment.kpi);
  const value = experiment.kpi.kind === 'revenue' ? REVENUE_SQL : EVENT_SQL;
  const r = await db.query<{
    arm: string;
    assigned: number;
    measured: number;
    successes: number;
    mean: number | null;
    variance: number | null;
  }>(
    `WITH a AS (
       SELECT customer_id, arm, assigned_at, assigned_at <= $2 AS measured FROM experiment_assignments
       WHERE experiment_id = $1 AND assigned_at <= $5),
     v AS (SELECT a.arm, a.measured, CASE WHEN a.measured THEN ${value} END AS value FROM a)
     SELECT arm, count(*)::int AS assigned, count(*) FILTER (WHERE measured)::int AS measured,
            COALESCE(sum(value) FILTER (WHERE measured), 0)::float8 AS successes,
            avg(value) FILTER (WHERE measured)::float8 AS mean, var_samp(value) FILTER (WHERE measured)::float8 AS variance
     FROM v GROUP BY arm`,
    // $6 (the event type) only where the query names it: PostgreSQL refuses a parameter it cannot type.
    [
      experiment.id,
      measurableCutoff(experiment.kpi, asOf),
      w.from,
      w.until,
      asOf,
      ...(value === EVENT_SQL ? [w.event] : []),
    ],
  );
  const byArm = new Map(r.rows.map((row) => [row.arm, row]));
  return experiment.arms.map(({ id }) => {
    const row = byArm.get(id);
    const figures: ArmFigures = { arm: id, assigned: row?.assigned ?? 0, measured: row?.measured ?? 0 };
    if (experiment.kpi.kind === 'revenue') {
      figures.mean = row?.mean ?? 0;
      figures.variance = row?.variance ?? 0;
    } else figures.successes = Math.round(row?.successes ?? 0);
    return figures;
  });
}

/** Members assigned per allocation version and arm, for the sample ratio check. */
export async function assignedPerVersion(
  db: Queryable,
  experimentId: string,
  asOf: Date,
): Promise<Map<number, Record<string, number>>> {
  const r = await db.query<{ version: number; arm: string; n: number }>(
    `SELECT allocation_version AS version, arm, count(*)::int AS n FROM experiment_assignments
     WHERE experiment_id = $1 AND assigned_at <= $2 GROUP BY 1, 2`,
    [experimentId, asOf],
  );
  const perVersion = new Map<number, Record<string, number>>();
  for (const row of r.rows) perVersion.set(row.version, { ...perVersion.get(row.version), [row.arm]: row.n });
  return perVersion;
}
