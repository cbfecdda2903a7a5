import type { Queryable } from '../data/db';
import {
  derivedColumn,
  derivedParts,
  eventColumn,
  NOT_ACTIVITY,
  type DerivedMeasure,
  type EventMeasure,
  type MeasureSet,
} from './measures';

/** Bind parameters: user values never enter the SQL text. $1 is asOf. */
export class Params {
  readonly values: unknown[];
  private readonly seen = new Map<string, string>();
  constructor(asOf: Date) {
    this.values = [asOf.toISOString()];
  }
  add(value: unknown): string {
    const key = JSON.stringify(value);
    let ref = this.seen.get(key);
    if (!ref) {
      this.values.push(value);
      ref = `$${this.values.length}`;
      this.seen.set(key, ref);
    }
    return ref;
  }
}

export const AS_OF = '$1::timestamptz';
/** asOf's UTC day: the last day of every window. */
export const AS_OF_DAY = "($1::timestamptz AT TIME ZONE 'UTC')::date";

/** What point in time needs beyond the rollups, read from the data (so the same data gives the same plan). */
export interface PointInTime {
  /** Rows the rollups hold but asOf must not see: ingested after it, or later on its own day. */
  lateRows: boolean;
  /** A CRM record newer than asOf: traits come from crm_history instead of customers. */
  traitsFromHistory: boolean;
  /**
   * Rows stored since the rollups were last derived (an ingest that stopped before its derivation,
   * or one still running): the measures are read from the raw events instead.
   */
  fromEvents?: boolean;
}

/** Index lookups only (BRIN on events, btree on crm_history): cheap when asOf is now. */
export async function pointInTime(db: Queryable, asOf: Date): Promise<PointInTime> {
  const r = await db.query<{ late: boolean; crm: boolean; pending: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM events WHERE ingested_at > $1)
         OR EXISTS (SELECT 1 FROM events WHERE occurred_at > $1 AND occurred_at < (($1::timestamptz AT TIME ZONE 'UTC')::date + 1)::timestamp AT TIME ZONE 'UTC') AS late,
            EXISTS (SELECT 1 FROM crm_history WHERE ingested_at > $1) OR EXISTS (SELECT 1 FROM crm_history WHERE updated_at > $1) AS crm,
            EXISTS (SELECT 1 FROM events WHERE ingested_at > (SELECT complete_until FROM derived_state WHERE name = 'customer_daily')) AS pending`,
    [asOf.toISOString()],
  );
  const { late, crm, pending } = r.rows[0]!;
  return pending
    ? { lateRows: false, traitsFromHistory: crm, fromEvents: true }
    : { lateRows: late, traitsFromHistory: crm };
}

export interface MeasureColumn {
  name: string;
  type: 'text' | 'integer' | 'timestamptz' | 'boolean' | 'numeric' | 'date';
}

export const TRAIT_COLUMNS: MeasureColumn[] = [
  { name: 'customer_id', type: 'text' },
  { name: 'customer_no', type: 'integer' },
  { name: 'plan', type: 'text' },
  { name: 'country', type: 'text' },
  { name: 'lifecycle_stage', type: 'text' },
  { name: 'signup_at', type: 'timestamptz' },
  { name: 'consent_marketing', type: 'boolean' },
];

export interface MeasuresQuery {
  sql: string;
  columns: MeasureColumn[];
}

/**
 * One statement that yields a row per customer existing at asOf with its traits as of then and
 * every measure in the set. It reads the rollups (customer_daily: day-first primary key, so a
 * window is a range of it) once; raw events only for the rows asOf must not see (BRIN).
 */
export function measuresQuery(set: MeasureSet, p: Params, pit: PointInTime, customerId?: string): MeasuresQuery {
  const events = [...set.events.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  // Ranks compare a customer with everyone: then one customer is picked only at the end.
  const ranked = [...set.derived.values()].some((m) => m.name.startsWith('rfm_'));
  const early = customerId !== undefined && !ranked;
  const one = early ? ` AND d.customer_id = ${p.add(customerId)}` : '';
  const oneCustomer = early ? ` AND c.customer_id = ${p.add(customerId)}` : '';
  const ctes: string[] = [];

  if (events.length > 0) ctes.push(...aggregates(events, p, pit, one));
  // Traits as of asOf: the newest non-empty value of each field among the records that existed.
  ctes.push(
    pit.traitsFromHistory
      ? `people AS (
      SELECT c.customer_id, c.customer_no, h.plan, h.country, h.lifecycle_stage, h.signup_at, h.consent_marketing
      FROM customers c LEFT JOIN (
        SELECT customer_id,
          (array_agg(plan ORDER BY updated_at DESC) FILTER (WHERE plan IS NOT NULL))[1] AS plan,
          (array_agg(country ORDER BY updated_at DESC) FILTER (WHERE country IS NOT NULL))[1] AS country,
          (array_agg(lifecycle_stage ORDER BY updated_at DESC) FILTER (WHERE lifecycle_stage IS NOT NULL))[1] AS lifecycle_stage,
          (array_agg(signup_at ORDER BY updated_at DESC) FILTER (WHERE signup_at IS NOT NULL))[1] AS signup_at,
          (array_agg(consent_marketing ORDER BY updated_at DESC) FILTER (WHERE consent_marketing IS NOT NULL))[1] AS consent_marketing
        FROM crm_history WHERE updated_at <= ${AS_OF} AND ingested_at <= ${AS_OF} GROUP BY customer_id) h ON h.customer_id = c.customer_id
      WHERE c.first_seen_at <= ${AS_OF}${oneCustomer})`
      : `people AS (
      SELECT c.customer_id, c.customer_no, c.plan, c.country, c.lifecycle_stage, c.signup_at, c.consent_marketing
      FROM customers c WHERE c.first_seen_at <= ${AS_OF}${oneCustomer})`,
  );

  const columns: MeasureColumn[] = [...TRAIT_COLUMNS];
  const baseCols = events.map(([col, m]) => {
    if (m.agg === 'first' || m.agg === 'last') {
      columns.push({ name: col, type: 'date' });
      return `a.${col}`;
    }
    columns.push({ name: col, type: 'numeric' });
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
  let relation = `SELECT p.*${baseCols.map((c) => `, ${c}`).join('')} FROM people p${joins}`;

  // Derived measures: from the aggregates; then ranks among everyone; then combinations of ranks.
  const derived = [...set.derived.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const step = (exprOf: (m: DerivedMeasure) => string | undefined) => {
    const cols = derived.flatMap(([col, m]) => {
      const expr = exprOf(m);
      if (expr === undefined) return [];
      columns.push({ name: col, type: 'numeric' });
      return [`${expr} AS ${col}`];
    });
    if (cols.length > 0) relation = `SELECT x.*, ${cols.join(', ')} FROM (${relation}) x`;
  };
  step(simpleExpr);
  const ranks = derived.flatMap(([col, m]) => {
    const rank = rankSource(m);
    return rank ? [{ col, ...rank }] : [];
  });
  if (ranks.length > 0) {
    // A quintile is 5 × cume_dist, computed from the distribution of values (a few hundred distinct
    // ones) instead of sorting every customer: the same figure, ties alike, no 1M-row sort.
    ctes.push(`scored AS MATERIALIZED (${relation})`);
    const joins = ranks.map((r, i) => {
      ctes.push(`rank_${i} AS (SELECT v, ceil(5 * ((sum(n) OVER (ORDER BY v ${r.order}))::float8 / (sum(n) OVER ())::float8))::int AS score
      FROM (SELECT x.${r.source} AS v, count(*) AS n FROM scored x WHERE ${r.has(`x.${r.source}`)} GROUP BY 1) g)`);
      columns.push({ name: r.col, type: 'numeric' });
      return {
        select: `COALESCE(r${i}.score, 0) AS ${r.col}`,
        join: `LEFT JOIN rank_${i} r${i} ON r${i}.v = x.${r.source}`,
      };
    });
    relation = `SELECT x.*, ${joins.map((j) => j.select).join(', ')} FROM scored x ${joins.map((j) => j.join).join(' ')}`;
  }
  step(combinedExpr);
  if (customerId !== undefined && !early)
    relation = `SELECT x.* FROM (${relation}) x WHERE x.customer_id = ${p.add(customerId)}`;
  return { sql: `WITH ${ctes.join(',\n    ')}\n    ${relation}`, columns };
}

/** Bit lanes of 64 days each: a distinct-days count is the population count of OR-ed day bits. */
const dayLanes = (m: EventMeasure) =>
  Array.from({ length: Math.ceil(((m.days ?? 0) + m.offset) / 64) }, (_, i) => i * 64);

/**
 * The rollup rows in reach, each classified once (type code, age in days, activity, property
 * matches), then one hash aggregate per customer whose FILTERs compare integers and booleans.
 * Sums of money run apart, over their own (few) rows: the currency lookup they need would keep
 * the main aggregate from running in parallel.
 */
function aggregates(events: Array<[string, EventMeasure]>, p: Params, pit: PointInTime, one: string): string[] {
  const ctes: string[] = [];
  if (pit.lateRows) {
    ctes.push(`late AS (
      SELECT customer_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, event_type, cohortflow_rollup_dims(properties) AS dims, count(*) AS events, COALESCE(sum(value), 0) AS value_sum
      FROM events
      WHERE customer_id IS NOT NULL AND (ingested_at > ${AS_OF} OR (occurred_at > ${AS_OF} AND occurred_at < (${AS_OF_DAY} + 1)::timestamp AT TIME ZONE 'UTC'))
      GROUP BY 1, 2, 3, 4)`);
  }
  const sums = events.filter(([, m]) => m.agg === 'sum');
  const others = events.filter(([, m]) => m.agg !== 'sum');
  if (others.length > 0) ctes.push(...aggregatePart('agg', others, p, pit, one));
  if (sums.length > 0) ctes.push(...aggregatePart('agg_money', sums, p, pit, one));
  return ctes;
}

/** The rollups of the events asOf sees, aggregated from the raw events as the rollups are. */
const VISIBLE_EVENTS = `(SELECT customer_id, (occurred_at AT TIME ZONE 'UTC')::date AS day, event_type, cohortflow_rollup_dims(properties) AS dims,
          count(*) AS events, COALESCE(sum(value), 0) AS value_sum
        FROM events WHERE customer_id IS NOT NULL AND occurred_at <= ${AS_OF} AND ingested_at <= ${AS_OF} GROUP BY 1, 2, 3, 4)`;

/** The CTE an event measure's column comes from (see aggregates). */
const aggOf = (m: EventMeasure) => (m.agg === 'sum' ? 'am' : 'a');

function aggregatePart(
  name: 'agg' | 'agg_money',
  events: Array<[string, EventMeasure]>,
  p: Params,
  pit: PointInTime,
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
  const minus = (col: string) => (pit.lateRows ? `d.${col} - COALESCE(l.${col}, 0)` : `d.${col}`);
  const typesParam = p.add(named);
  const classified = [
    `array_position(${typesParam}::text[], d.event_type) AS t`,
    `${AS_OF_DAY} - d.day AS age`,
    ...(activity ? [`d.event_type <> ALL(${p.add(NOT_ACTIVITY)}::text[]) AS act`] : []),
    ...wheres.map((w, i) => {
      const [key, values] = JSON.parse(w) as [string, string[]];
      return `COALESCE(d.dims->>${p.add(key)} = ANY(${p.add(values)}::text[]), false) AS w${i}`;
    }),
    // USD for amounts with a currency (no rate: no amount); other values as they are.
    ...(money
      ? [
          `CASE WHEN d.dims ? 'currency' THEN (${minus('value_sum')}) / fx.per_usd ELSE ${minus('value_sum')} END AS money`,
        ]
      : []),
  ];
  const ctes = [
    `${rows} AS (
      SELECT d.customer_id, d.day, ${minus('events')} AS events, ${classified.join(', ')}
      FROM ${pit.fromEvents ? VISIBLE_EVENTS : 'customer_daily'} d${
        pit.lateRows
          ? `
      LEFT JOIN late l ON l.day = d.day AND l.customer_id = d.customer_id AND l.event_type = d.event_type AND l.dims = d.dims`
          : ''
      }${
        money
          ? `
      LEFT JOIN fx_rates fx ON fx.currency = d.dims->>'currency'`
          : ''
      }
      WHERE d.day <= ${AS_OF_DAY}${oldest === null ? '' : ` AND d.day > ${AS_OF_DAY} - ${p.add(oldest)}::int`}${activity ? '' : ` AND d.event_type = ANY(${typesParam}::text[])`}${one})`,
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
    if (m.agg === 'first') return [`min(x.day) FILTER (WHERE ${filter(m, false)} AND x.events > 0) AS ${col}`];
    if (m.agg === 'last') return [`max(x.day) FILTER (WHERE ${filter(m, false)} AND x.events > 0) AS ${col}`];
    if (m.agg === 'sum') return [`sum(x.money) FILTER (WHERE ${filter(m, true)}) AS ${col}`];
    if (m.agg === 'count') return [`sum(x.events) FILTER (WHERE ${filter(m, true)}) AS ${col}`];
    return dayLanes(m).map(
      (from, i) =>
        `bit_or(CASE WHEN x.age >= ${from} AND x.age < ${from + 64} THEN 1::bigint << (x.age - ${from}) ELSE 0 END) FILTER (WHERE ${filter(m, true)} AND x.events > 0) AS ${col}_${i}`,
    );
  });
  ctes.push(`${name} AS (SELECT x.customer_id, ${cols.join(', ')} FROM ${rows} x GROUP BY x.customer_id)`);
  return ctes;
}

/**
 * A derived measure's expression over the columns derivedParts (measures.ts) says it is made of,
 * in that order: what a measure reads is spelled once, there.
 */
function simpleExpr(m: DerivedMeasure): string | undefined {
  const [first, second] = derivedParts(m).events.map((e) => `x.${eventColumn(e)}`);
  switch (m.name) {
    case 'recency_days':
      return `(${AS_OF_DAY} - ${first})`;
    case 'monetary':
      return `(${first} - ${second})`;
    case 'velocity':
      return `(${first}::numeric / NULLIF(${second}, 0))`;
    case 'frequency':
    case 'support_intensity':
    case 'failed_payments':
    case 'upgrades':
    case 'downgrades':
    case 'refunds':
      return first;
    case 'tenure_days':
      return `(${AS_OF_DAY} - (x.signup_at AT TIME ZONE 'UTC')::date)`;
    default:
      return undefined;
  }
}

/**
 * Quintile scores 1–5 (5 best) among the customers who have the figure (any activity; active
 * days > 0; net revenue > 0), 0 for the rest: ceil(5 × cume_dist), so ties share a score and the
 * result never depends on row order.
 */
function rankSource(
  m: DerivedMeasure,
): { source: string; has: (v: string) => string; order: 'ASC' | 'DESC' } | undefined {
  if (m.name !== 'rfm_r' && m.name !== 'rfm_f' && m.name !== 'rfm_m') return undefined;
  const source = derivedColumn(derivedParts(m).derived[0]!);
  return m.name === 'rfm_r'
    ? { source, has: (v) => `${v} IS NOT NULL`, order: 'DESC' }
    : { source, has: (v) => `${v} > 0`, order: 'ASC' };
}

function combinedExpr(m: DerivedMeasure): string | undefined {
  if (m.name !== 'rfm_score') return undefined;
  return `(${derivedParts(m)
    .derived.map((d) => `x.${derivedColumn(d)}`)
    .join(' + ')})`;
}
