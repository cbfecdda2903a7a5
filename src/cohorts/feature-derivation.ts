import type { Queryable } from '../data/db';
import { featureColumns, typeMatchSql, whereMatchSql, type StateFeature } from './features';

// The set-based statements that bring customer_state's feature columns up to date with the
// events ingested since a moment, or build features from all events. Every statement reads and
// writes per customer: none joins one customer's rows with another's. The work tables are
// UNLOGGED (written without WAL, and readable by parallel workers), created and dropped inside
// the derivation's transaction.

/** Day number (days since 1970-01-01) of an event's UTC date. */
const DAY = `((e.occurred_at AT TIME ZONE 'UTC')::date - DATE '1970-01-01')`;

/**
 * Adds the events ingested after `since` (all events when null) to the features' columns, for
 * every customer they belong to: first each customer-day's events and values per feature (one
 * pass over the events, one row per customer and day), then per customer the new days appended
 * after the kept ones with running totals continuing from the kept ones (the usual case: new days
 * of data), or, for a customer with a new day among its kept ones (late rows, late attribution),
 * its kept days unrolled and every feature's days and totals built again. Returns how many
 * customers' rows changed.
 */
export async function deriveFeatures(tx: Queryable, features: StateFeature[], since: Date | null): Promise<number> {
  if (features.length === 0) return 0;
  await dropWorkTables(tx);
  const params: unknown[] = [];
  const param = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  // Each event classified once: which feature's types and filters it passes, then one aggregate
  // per customer-day whose FILTERs read those flags.
  const matches = features.map(
    (f) => `(${typeMatchSql(f.spec, 'e', param)}) AND (${whereMatchSql(f.spec, 'e', param)}) AS m${f.id}`,
  );
  const money = features.some((f) => f.sums);
  const day = await tx.query(
    `CREATE UNLOGGED TABLE derive_days AS
     SELECT x.customer_id, x.day,
       ${features.map((f) => `count(*) FILTER (WHERE x.m${f.id})::int AS n${f.id}`).join(', ')}
       ${features
         .filter((f) => f.sums)
         .map((f) => `, COALESCE(sum(x.v) FILTER (WHERE x.m${f.id}), 0) AS v${f.id}`)
         .join('')}
     FROM (SELECT e.customer_id, ${DAY} AS day, ${matches.join(', ')}${
       money
         ? // Money in USD through fx_rates (no rate: nothing), other values as they are.
           `, CASE WHEN e.properties->>'currency' IS NULL THEN e.value
                   ELSE e.value / (SELECT fx.per_usd FROM fx_rates fx WHERE fx.currency = e.properties->>'currency') END AS v`
         : ''
     }
           FROM events e WHERE e.customer_id IS NOT NULL${since === null ? '' : ` AND e.ingested_at > ${param(since)}`}) x
     WHERE ${features.map((f) => `x.m${f.id}`).join(' OR ')}
     GROUP BY 1, 2`,
    params,
  );
  if ((day.rowCount ?? 0) === 0) {
    await dropWorkTables(tx);
    return 0;
  }
  await tx.query('ANALYZE derive_days');

  // Per touched customer: each feature's first new day and the kept one's last day and totals.
  const c = (f: StateFeature) => featureColumns(f.id);
  const last = (array: string) => `cs.${array}[cardinality(cs.${array})]`;
  await tx.query(`CREATE UNLOGGED TABLE derive_kept AS
    SELECT k.customer_id, ${features
      .map(
        (f) =>
          `COALESCE(${last(c(f).counts)}, 0) AS last_n${f.id}${f.sums ? `, COALESCE(${last(c(f).values)}, 0) AS last_v${f.id}` : ''}`,
      )
      .join(', ')},
      ${features.map((f) => `(k.first_${f.id} IS NULL OR cs.${c(f).days} IS NULL OR k.first_${f.id} > ${last(c(f).days)})`).join(' AND ')} AS appends
    FROM (SELECT customer_id, ${features.map((f) => `min(day) FILTER (WHERE n${f.id} > 0) AS first_${f.id}`).join(', ')}
          FROM derive_days GROUP BY 1) k
    JOIN customer_state cs ON cs.customer_id = k.customer_id`);

  // Customers whose new days all come after their kept ones: new days appended.
  await tx.query(`CREATE UNLOGGED TABLE derive_appended AS
    SELECT d.customer_id, ${features
      .map(
        (f) =>
          `array_agg(d.day ORDER BY d.day) FILTER (WHERE d.n${f.id} > 0) AS d${f.id}, ` +
          `array_agg((k.last_n${f.id} + d.c${f.id})::int ORDER BY d.day) FILTER (WHERE d.n${f.id} > 0) AS n${f.id}` +
          (f.sums
            ? `, array_agg(k.last_v${f.id} + d.cv${f.id} ORDER BY d.day) FILTER (WHERE d.n${f.id} > 0) AS v${f.id}`
            : ''),
      )
      .join(', ')}
    FROM (SELECT *, ${runningTotals(features)} FROM derive_days WINDOW w AS (PARTITION BY customer_id ORDER BY day)) d
    JOIN derive_kept k ON k.customer_id = d.customer_id AND k.appends
    GROUP BY d.customer_id`);
  const appended = await tx.query(`UPDATE customer_state cs SET ${features
    .flatMap((f) => [
      `${c(f).days} = CASE WHEN a.d${f.id} IS NULL THEN cs.${c(f).days} ELSE COALESCE(cs.${c(f).days}, '{}') || a.d${f.id} END`,
      `${c(f).counts} = CASE WHEN a.n${f.id} IS NULL THEN cs.${c(f).counts} ELSE COALESCE(cs.${c(f).counts}, '{0}') || a.n${f.id} END`,
      ...(f.sums
        ? [
            `${c(f).values} = CASE WHEN a.v${f.id} IS NULL THEN cs.${c(f).values} ELSE COALESCE(cs.${c(f).values}, '{0}') || a.v${f.id} END`,
          ]
        : []),
    ])
    .join(', ')}
    FROM derive_appended a WHERE cs.customer_id = a.customer_id`);

  // The others: their kept days unrolled, the new ones added, every feature built again from 0.
  const unrolled = features.map(
    (f) =>
      `SELECT cs.customer_id, cs.${c(f).days}[i] AS day, ${features
        .map((g) => `${g.id === f.id ? `cs.${c(f).counts}[i + 1] - cs.${c(f).counts}[i]` : '0'} AS n${g.id}`)
        .join(', ')}${features
        .filter((g) => g.sums)
        .map((g) => `, ${g.id === f.id ? `cs.${c(f).values}[i + 1] - cs.${c(f).values}[i]` : '0'} AS v${g.id}`)
        .join('')}
       FROM customer_state cs JOIN derive_kept k ON k.customer_id = cs.customer_id AND NOT k.appends
       CROSS JOIN LATERAL generate_subscripts(cs.${c(f).days}, 1) AS i`,
  );
  const columns = [...features.map((f) => `n${f.id}`), ...features.filter((f) => f.sums).map((f) => `v${f.id}`)];
  await tx.query(`CREATE UNLOGGED TABLE derive_rebuilt AS
    SELECT customer_id, ${features
      .map(
        (f) =>
          `array_agg(day ORDER BY day) FILTER (WHERE n${f.id} > 0) AS d${f.id}, ` +
          `'{0}' || array_agg(c${f.id}::int ORDER BY day) FILTER (WHERE n${f.id} > 0) AS n${f.id}` +
          (f.sums ? `, '{0}' || array_agg(cv${f.id} ORDER BY day) FILTER (WHERE n${f.id} > 0) AS v${f.id}` : ''),
      )
      .join(', ')}
    FROM (SELECT *, ${runningTotals(features)} FROM (
            SELECT customer_id, day, ${columns.map((col) => `sum(${col}) AS ${col}`).join(', ')} FROM (
              ${unrolled.join('\n UNION ALL ')}
              UNION ALL SELECT d.customer_id, d.day, ${columns.map((col) => `d.${col}`).join(', ')}
              FROM derive_days d JOIN derive_kept k ON k.customer_id = d.customer_id AND NOT k.appends) u
            GROUP BY 1, 2) g
          WINDOW w AS (PARTITION BY customer_id ORDER BY day)) x
    GROUP BY customer_id`);
  const rebuilt = await tx.query(`UPDATE customer_state cs SET ${features
    .flatMap((f) => [
      `${c(f).days} = r.d${f.id}`,
      // An array of '{0}' alone: the feature never matched this customer.
      `${c(f).counts} = CASE WHEN r.d${f.id} IS NULL THEN NULL ELSE r.n${f.id} END`,
      ...(f.sums ? [`${c(f).values} = CASE WHEN r.d${f.id} IS NULL THEN NULL ELSE r.v${f.id} END`] : []),
    ])
    .join(', ')}
    FROM derive_rebuilt r WHERE cs.customer_id = r.customer_id`);
  await dropWorkTables(tx);
  return (appended.rowCount ?? 0) + (rebuilt.rowCount ?? 0);
}

/** Running totals per feature over a customer's days, in day order (window `w`). */
const runningTotals = (features: StateFeature[]) =>
  [
    ...features.map((f) => `sum(n${f.id}) OVER w AS c${f.id}`),
    ...features.filter((f) => f.sums).map((f) => `sum(v${f.id}) OVER w AS cv${f.id}`),
  ].join(', ');

async function dropWorkTables(tx: Queryable): Promise<void> {
  await tx.query('DROP TABLE IF EXISTS derive_days, derive_kept, derive_appended, derive_rebuilt');
}
