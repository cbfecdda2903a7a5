import { NOT_ACTIVITY, type EventMeasure } from './measures';
import type { MeasureBase } from './measures-sql';
import { AS_OF, AS_OF_DAY, type Params } from './sql-params';

// The measures read from the raw rows, for any asOf: events that had happened and been ingested
// by then, traits from the CRM records known then. Slower than the derived state (a scan of the
// events in reach), and the reference the state must agree with.

/** Bit lanes of 64 days each: a distinct-days count is the population count of OR-ed day bits. */
const dayLanes = (m: EventMeasure) =>
  Array.from({ length: Math.ceil(((m.days ?? 0) + m.offset) / 64) }, (_, i) => i * 64);

/** The CTE an event measure's column comes from (see aggregatePart). */
const aggOf = (m: EventMeasure) => (m.agg === 'sum' ? 'am' : 'a');

/**
 * Traits as of asOf (for each field the newest non-empty value among the CRM records known then)
 * and every event measure, per customer existing at asOf.
 */
export function baseFromEvents(events: Array<[string, EventMeasure]>, p: Params, customerId?: string): MeasureBase {
  const one = customerId === undefined ? '' : ` AND e.customer_id = ${p.add(customerId)}`;
  const oneCustomer = customerId === undefined ? '' : ` AND c.customer_id = ${p.add(customerId)}`;
  const ctes: string[] = [];
  const sums = events.filter(([, m]) => m.agg === 'sum');
  const others = events.filter(([, m]) => m.agg !== 'sum');
  if (others.length > 0) ctes.push(...aggregatePart('agg', others, p, one));
  if (sums.length > 0) ctes.push(...aggregatePart('agg_money', sums, p, one));
  const newest = (f: string) => `(array_agg(${f} ORDER BY updated_at DESC) FILTER (WHERE ${f} IS NOT NULL))[1] AS ${f}`;
  ctes.push(`people AS (
      SELECT c.customer_id, c.customer_no, h.plan, h.country, h.lifecycle_stage, h.signup_at, h.consent_marketing
      FROM customers c LEFT JOIN (
        SELECT customer_id, ${['plan', 'country', 'lifecycle_stage', 'signup_at', 'consent_marketing'].map(newest).join(', ')}
        FROM crm_history WHERE updated_at <= ${AS_OF} AND ingested_at <= ${p.ingestedBy()} GROUP BY customer_id) h ON h.customer_id = c.customer_id
      WHERE ${p.knownAt ? `c.first_seen_at <= ${p.ingestedBy()} AND h.customer_id IS NOT NULL` : `c.first_seen_at <= ${AS_OF}`}${oneCustomer})`);

  const columns: string[] = events.map(([col, m]) => {
    if (m.agg === 'first' || m.agg === 'last') return `a.${col}`;
    if (m.agg === 'days')
      return `${dayLanes(m)
        .map((_, i) => `bit_count(COALESCE(a.${col}_${i}, 0)::bit(64))`)
        .join(' + ')} AS ${col}`;
    return `COALESCE(${aggOf(m)}.${col}, 0) AS ${col}`;
  });
  const joins = [
    events.some(([, m]) => aggOf(m) === 'a') ? ' LEFT JOIN agg a ON a.customer_id = p.customer_id' : '',
    events.some(([, m]) => aggOf(m) === 'am') ? ' LEFT JOIN agg_money am ON am.customer_id = p.customer_id' : '',
  ].join('');
  return { ctes, relation: `SELECT p.*${columns.map((c) => `, ${c}`).join('')} FROM people p${joins}` };
}

/**
 * The events in reach, each classified once (type code, age in days, activity, property
 * matches), then one hash aggregate per customer whose FILTERs compare integers and booleans.
 * Sums of money run apart, over their own (few) rows: the currency lookup they need would keep
 * the main aggregate from running in parallel. A property matches as its text; money is in USD
 * per event through fx_rates, as the derived state keeps it.
 */
function aggregatePart(
  name: 'agg' | 'agg_money',
  events: Array<[string, EventMeasure]>,
  p: Params,
  one: string,
): string[] {
  const rows = `${name}_rows`;
  const oldest = events.some(([, m]) => m.days === null)
    ? null
    : Math.max(...events.map(([, m]) => m.days! + m.offset));
  const named = [...new Set(events.flatMap(([, m]) => (m.types === 'activity' ? [] : m.types)))].sort();
  const activity = events.some(([, m]) => m.types === 'activity');
  const wheres = [...new Set(events.flatMap(([, m]) => m.where.map((w) => JSON.stringify(w))))].sort();
  const money = name === 'agg_money';
  const typesParam = p.add(named);
  const day = `(e.occurred_at AT TIME ZONE 'UTC')::date`;
  const classified = [
    `array_position(${typesParam}::text[], e.event_type) AS t`,
    `${AS_OF_DAY} - ${day} AS age`,
    `${day} AS day`,
    ...(activity ? [`e.event_type <> ALL(${p.add(NOT_ACTIVITY)}::text[]) AS act`] : []),
    ...wheres.map((w, i) => {
      const [key, values] = JSON.parse(w) as [string, string[]];
      return `COALESCE(e.properties->>${p.add(key)} = ANY(${p.add(values)}::text[]), false) AS w${i}`;
    }),
    // USD for amounts with a currency (no rate: no amount); other values as they are.
    ...(money
      ? [`CASE WHEN e.properties->>'currency' IS NOT NULL THEN e.value / fx.per_usd ELSE e.value END AS money`]
      : []),
  ];
  const ctes = [
    `${rows} AS (
      SELECT e.customer_id, ${classified.join(', ')}
      FROM events e${money ? `\n      LEFT JOIN fx_rates fx ON fx.currency = e.properties->>'currency'` : ''}
      WHERE e.customer_id IS NOT NULL AND e.occurred_at <= ${AS_OF} AND e.ingested_at <= ${p.ingestedBy()}${
        oldest === null
          ? ''
          : ` AND e.occurred_at >= (${AS_OF_DAY} - ${p.add(oldest - 1)}::int)::timestamp AT TIME ZONE 'UTC'`
      }${activity ? '' : ` AND e.event_type = ANY(${typesParam}::text[])`}${one})`,
  ];

  const filter = (m: EventMeasure, withWindow: boolean): string => {
    // Type codes index our own parameter array: integers we generate, never user text.
    const parts = [
      m.types === 'activity' ? 'x.act' : `x.t IN (${m.types.map((t) => named.indexOf(t) + 1).join(', ')})`,
    ];
    for (const w of m.where) parts.push(`x.w${wheres.indexOf(JSON.stringify(w))}`);
    if (withWindow && m.days !== null) {
      parts.push(`x.age < ${p.add(m.days + m.offset)}::int`);
      if (m.offset > 0) parts.push(`x.age >= ${p.add(m.offset)}::int`);
    }
    return parts.join(' AND ');
  };
  const cols = events.flatMap(([col, m]) => {
    if (m.agg === 'first') return [`min(x.day) FILTER (WHERE ${filter(m, false)}) AS ${col}`];
    if (m.agg === 'last') return [`max(x.day) FILTER (WHERE ${filter(m, false)}) AS ${col}`];
    if (m.agg === 'sum') return [`sum(x.money) FILTER (WHERE ${filter(m, true)}) AS ${col}`];
    if (m.agg === 'count') return [`count(*) FILTER (WHERE ${filter(m, true)}) AS ${col}`];
    return dayLanes(m).map(
      (from, i) =>
        `bit_or(CASE WHEN x.age >= ${from} AND x.age < ${from + 64} THEN 1::bigint << (x.age - ${from}) ELSE 0 END) FILTER (WHERE ${filter(m, true)}) AS ${col}_${i}`,
    );
  });
  ctes.push(`${name} AS (SELECT x.customer_id, ${cols.join(', ')} FROM ${rows} x GROUP BY x.customer_id)`);
  return ctes;
}
