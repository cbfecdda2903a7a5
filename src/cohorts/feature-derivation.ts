import type { Queryable } from '../data/db';
import { featureColumns, typeMatchSql, whereMatchSql, type StateFeature } from './features';

// The set-based statements that bring customer_state's feature columns up to date with the
// events ingested since a moment, or build a new feature from all events. Every statement reads
// and writes per customer: none joins one customer's rows with another's.

/** Day number (days since 1970-01-01) of an event's UTC date. */
const DAY = `((e.occurred_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01')`;
/** An event's value for sums: money in USD through fx_rates (no rate: nothing), others as they are. */
const VALUE = `(CASE WHEN e.properties->>'currency' IS NOT NULL THEN e.value / fx.per_usd ELSE e.value END)`;

/**
 * Adds the events ingested after `since` to the features' columns, for every customer they
 * belong to. Each feature's days are appended when the new ones all come after the kept ones
 * (the usual case: a new day of data), and re-sorted with them otherwise (late rows, late
 * attribution). Returns how many customers' rows changed.
 */
export async function deriveFeatures(tx: Queryable, features: StateFeature[], since: Date | null): Promise<number> {
  if (features.length === 0) return 0;
  const params: unknown[] = [];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const sinceParam = since === null ? 'NULL' : param(since);
  const sums = features.filter((f) => f.sums).map((f) => f.id);
  // Which feature each event belongs to: event types first (a small join over the known types),
  // then each feature's property filters on the events its types let through.
  const byType = features.map((f) => `(${f.id}, ${f.sums}, ${typeMatchSql(f.spec, 't', param)})`);
  const filters = features
    .filter((f) => f.spec.where.length > 0)
    .map((f) => `(ft.feature <> ${f.id} OR (${whereMatchSql(f.spec, 'e', param)}))`);
  const delta = await tx.query(
    `CREATE TEMP TABLE state_delta ON COMMIT DROP AS
     WITH ft AS (
       SELECT t.event_type, f.feature, f.sums FROM event_types t
       CROSS JOIN LATERAL (VALUES ${byType.join(', ')}) AS f (feature, sums, hit) WHERE f.hit)
     SELECT e.customer_id, ft.feature, ${DAY} AS day, count(*)::int AS n,
            COALESCE(sum(CASE WHEN ft.sums THEN ${VALUE} END), 0) AS v
     FROM events e JOIN ft ON ft.event_type = e.event_type
     ${sums.length > 0 ? `LEFT JOIN fx_rates fx ON fx.currency = e.properties->>'currency'` : `CROSS JOIN (SELECT NULL::numeric AS per_usd) fx`}
     WHERE e.customer_id IS NOT NULL${since === null ? '' : ` AND e.ingested_at > ${sinceParam}`}
       ${filters.map((f) => `AND ${f}`).join(' ')}
     GROUP BY 1, 2, 3`,
    params,
  );
  if ((delta.rowCount ?? 0) === 0) {
    await tx.query('DROP TABLE state_delta');
    return 0;
  }
  await tx.query('ANALYZE state_delta');

  const pick = (column: 'days' | 'counts' | 'values') =>
    `CASE o.feature ${features
      .filter((f) => column !== 'values' || f.sums)
      .map((f) => `WHEN ${f.id} THEN cs.${featureColumns(f.id)[column]}`)
      .join(' ')} END`;
  await tx.query(`CREATE TEMP TABLE state_old ON COMMIT DROP AS
    SELECT o.customer_id, o.feature, o.first_day, kept.d, kept.n, kept.v,
           COALESCE(kept.n[cardinality(kept.n)], 0) AS last_n, COALESCE(kept.v[cardinality(kept.v)], 0) AS last_v,
           (kept.d IS NULL OR o.first_day > kept.d[cardinality(kept.d)]) AS appends
    FROM (SELECT customer_id, feature, min(day) AS first_day FROM state_delta GROUP BY 1, 2) o
    LEFT JOIN customer_state cs ON cs.customer_id = o.customer_id
    CROSS JOIN LATERAL (SELECT ${pick('days')} AS d, ${pick('counts')} AS n, ${sums.length > 0 ? pick('values') : 'NULL::numeric[]'} AS v) kept`);
  // New days after the kept ones: running totals continue from the last kept ones.
  await tx.query(`CREATE TEMP TABLE state_merged ON COMMIT DROP AS
    SELECT a.customer_id, a.feature, COALESCE(o.d, '{}') || a.d AS d, COALESCE(o.n, '{0}') || a.n AS n, COALESCE(o.v, '{0}') || a.v AS v
    FROM (SELECT customer_id, feature, array_agg(day ORDER BY day) AS d, array_agg(cn ORDER BY day) AS n, array_agg(cv ORDER BY day) AS v
          FROM (SELECT s.customer_id, s.feature, s.day, o.last_n + sum(s.n) OVER w AS cn, o.last_v + sum(s.v) OVER w AS cv
                FROM state_delta s JOIN state_old o USING (customer_id, feature) WHERE o.appends
                WINDOW w AS (PARTITION BY s.customer_id, s.feature ORDER BY s.day)) x
          GROUP BY 1, 2) a
    JOIN state_old o USING (customer_id, feature)`);
  // New days among the kept ones: the kept days unrolled, the new ones added, totals run again.
  await tx.query(`INSERT INTO state_merged (customer_id, feature, d, n, v)
    SELECT customer_id, feature, array_agg(day ORDER BY day), '{0}' || array_agg(cn ORDER BY day), '{0}' || array_agg(cv ORDER BY day)
    FROM (SELECT customer_id, feature, day, sum(n) OVER w AS cn, sum(v) OVER w AS cv
          FROM (SELECT customer_id, feature, day, sum(n) AS n, sum(v) AS v FROM (
                  SELECT o.customer_id, o.feature, o.d[i] AS day, o.n[i + 1] - o.n[i] AS n, COALESCE(o.v[i + 1] - o.v[i], 0) AS v
                  FROM state_old o CROSS JOIN LATERAL generate_subscripts(o.d, 1) AS i WHERE NOT o.appends
                  UNION ALL
                  SELECT s.customer_id, s.feature, s.day, s.n, s.v FROM state_delta s JOIN state_old o USING (customer_id, feature)
                  WHERE NOT o.appends) u
                GROUP BY 1, 2, 3) g
          WINDOW w AS (PARTITION BY customer_id, feature ORDER BY day)) x
    GROUP BY 1, 2`);
  // One new version of each touched customer's row, every touched feature at once.
  const sets = features.flatMap((f) => {
    const c = featureColumns(f.id);
    return [
      `${c.days} = COALESCE(u.${c.days}, cs.${c.days})`,
      `${c.counts} = COALESCE(u.${c.counts}, cs.${c.counts})`,
      ...(f.sums ? [`${c.values} = COALESCE(u.${c.values}, cs.${c.values})`] : []),
    ];
  });
  const pivot = features.flatMap((f) => {
    const c = featureColumns(f.id);
    return [
      `max(d) FILTER (WHERE feature = ${f.id}) AS ${c.days}`,
      `max(n) FILTER (WHERE feature = ${f.id}) AS ${c.counts}`,
      ...(f.sums ? [`max(v) FILTER (WHERE feature = ${f.id}) AS ${c.values}`] : []),
    ];
  });
  await tx.query(`UPDATE customer_state cs SET ${sets.join(', ')}
    FROM (SELECT customer_id, ${pivot.join(', ')} FROM state_merged GROUP BY customer_id) u
    WHERE cs.customer_id = u.customer_id`);
  const changed = await tx.query<{ n: number }>('SELECT count(DISTINCT customer_id)::int AS n FROM state_merged');
  await tx.query('DROP TABLE state_delta, state_old, state_merged');
  return changed.rows[0]!.n;
}
