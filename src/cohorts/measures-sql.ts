import type { Queryable } from '../data/db';
import { answers, keptFeatures } from './customer-state';
import { featuresOf, type StateFeature } from './features';
import {
  derivedColumn,
  derivedParts,
  eventColumn,
  scoreColumns,
  type DerivedMeasure,
  type MeasureSet,
} from './measures';
import { baseFromEvents } from './measures-from-events';
import { baseFromState } from './measures-from-state';
import { AS_OF_DAY, Params } from './sql-params';

export { AS_OF, AS_OF_DAY, Params } from './sql-params';

/**
 * Where a statement reads its measures: the derived state when it holds exactly what asOf sees
 * (every stored row derived, none stored or dated after asOf, every feature kept), else the raw
 * rows. Both give the same figures (test/integration/reference-check.test.ts); the state is the
 * fast one. Decided from the data, so the same data gives the same answer.
 */
export type ReadPath = { from: 'state'; features: ReadonlyMap<string, StateFeature> } | { from: 'events' };

/**
 * Index lookups only (BRIN on events, btree on crm_history): cheap when asOf is now. Call it in
 * the REPEATABLE READ transaction that then reads, so that no derivation lands in between.
 */
export async function readPath(db: Queryable, asOf: Date, set: MeasureSet): Promise<ReadPath> {
  const mark = await db.query<{ until: Date }>(
    `SELECT complete_until AS until FROM derived_state WHERE name = 'customer_state'`,
  );
  // Both moments as values of their own: a moment read from a row in the same statement would be
  // planned as unknown, and the events scanned whole instead of through their BRIN index.
  const r = await db.query<{ complete: boolean; later: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM events WHERE ingested_at > $2) AND NOT EXISTS (SELECT 1 FROM crm_history WHERE ingested_at > $2) AS complete,
            EXISTS (SELECT 1 FROM events WHERE ingested_at > $1) OR EXISTS (SELECT 1 FROM events WHERE occurred_at > $1)
         OR EXISTS (SELECT 1 FROM crm_history WHERE ingested_at > $1) OR EXISTS (SELECT 1 FROM crm_history WHERE updated_at > $1) AS later`,
    [asOf.toISOString(), mark.rows[0]!.until.toISOString()],
  );
  const { complete, later } = r.rows[0]!;
  if (!complete || later) return { from: 'events' };
  const kept = await keptFeatures(db);
  for (const [key, w] of featuresOf(set)) if (!answers(kept.get(key), w)) return { from: 'events' };
  return { from: 'state', features: kept };
}

/** What a base relation gives: traits and one column per event measure, per customer existing at asOf. */
export interface MeasureBase {
  ctes: string[];
  relation: string;
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
  /** The whole statement. */
  sql: string;
  /** Its parts, for statements that select from the relation: CTEs at their top level let Postgres
   * fold the relation into them and compute a measure only where a condition reads it. */
  ctes: string[];
  relation: string;
  columns: MeasureColumn[];
}

/** A statement over a measures query's relation as `m`: its CTEs first, at the top level. */
export const overMeasures = (q: MeasuresQuery, select: (m: string) => string): string =>
  `${q.ctes.length > 0 ? `WITH ${q.ctes.join(',\n    ')}\n    ` : ''}${select(`(${q.relation}) m`)}`;

/** Each rank's sorted distinct values and their scores, computed beforehand (rankArrays). */
export type RankArrays = Array<{ vals: unknown[] | null; scores: number[] | null }>;

export interface MeasuresOptions {
  /** Only this customer's row (ranks still place it among everyone). */
  customerId?: string;
  /** Only the customers whose number is `index` modulo `of`: one of several statements run side by side. */
  part?: { of: number; index: number };
  /** The ranks' values and scores as parameters instead of computed in the statement. */
  ranks?: RankArrays;
  /** Where score measures are read: a run's score table, or scores computed for an inspection. */
  scores?: ScoreSource;
}

/** Scores per customer number, by run_scores column (e.g. `churn_probability`, `clv_12m_q`). */
export interface ScoreValues {
  customerNo: Int32Array;
  columns: Record<string, Float64Array>;
}

export type ScoreSource = { runId: string } | { values: ScoreValues };

const listOf = (a: Float64Array) => Array.from(a, (v) => (Number.isNaN(v) ? null : v));

/**
 * The relation with the score columns it needs joined per customer: from run_scores (its
 * primary key) or from arrays passed as parameters. Column names come from the score allow-list.
 */
function withScores(relation: string, set: MeasureSet, p: Params, source: ScoreSource | undefined): string {
  const wanted = scoreColumns(set);
  if (wanted.length === 0) return relation;
  if (!source) throw new Error(`score measures (${wanted.map((w) => w.name).join(', ')}) need the run's scores`);
  const picks = wanted.map((w) => `sc.${w.source} AS ${w.column}`).join(', ');
  if ('runId' in source)
    return `SELECT x.*, ${picks} FROM (${relation}) x LEFT JOIN run_scores sc ON sc.run_id = ${p.add(source.runId)} AND sc.customer_no = x.customer_no`;
  const sources = [...new Set(wanted.map((w) => w.source))];
  const arrays = sources.map((c) => {
    const values = source.values.columns[c];
    if (!values) throw new Error(`no scores computed for ${c}`);
    return `${p.add(listOf(values))}::float8[]`;
  });
  return `SELECT x.*, ${picks} FROM (${relation}) x LEFT JOIN unnest(${p.add(Array.from(source.values.customerNo))}::int[], ${arrays.join(', ')}) AS sc(customer_no, ${sources.join(', ')}) ON sc.customer_no = x.customer_no`;
}

/**
 * One statement that yields a row per customer existing at asOf with its traits as of then and
 * every measure in the set: from customer_state (one row per customer) or from the raw rows,
 * as `path` says.
 */
export function measuresQuery(
  set: MeasureSet,
  p: Params,
  path: ReadPath,
  asOf: Date,
  options: MeasuresOptions = {},
): MeasuresQuery {
  const { customerId, part } = options;
  const events = [...set.events.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const derived = [...set.derived.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  if (part && path.from !== 'state') throw new Error('only the derived state is read in parts');
  const baseOf = (one?: string, only?: MeasuresOptions['part']) =>
    path.from === 'state' ? baseFromState(events, p, path.features, asOf, one, only) : baseFromEvents(events, p, one);
  // Ranks compare a customer with everyone. From the state, the one customer's row is picked early
  // and everyone's figures read apart; from the raw rows (aggregates named once) only at the end.
  const ranks = rankedMeasures(derived);
  const early = path.from === 'state' || ranks.length === 0 ? customerId : undefined;
  const base = baseOf(early, part);
  const ctes = [...base.ctes];
  const columns: MeasureColumn[] = [
    ...TRAIT_COLUMNS,
    ...events.map(([name, m]): MeasureColumn => ({
      name,
      type: m.agg === 'first' || m.agg === 'last' ? 'date' : 'numeric',
    })),
  ];

  // Derived measures: from the aggregates; then ranks among everyone; then combinations of ranks.
  const step = (relation: string, exprOf: (m: DerivedMeasure) => string | undefined) =>
    withDerived(relation, derived, exprOf, (col) => columns.push({ name: col, type: 'numeric' }));
  let relation = step(withScores(base.relation, set, p, options.scores), simpleExpr);
  for (const w of scoreColumns(set)) columns.push({ name: w.column, type: 'numeric' });
  if (ranks.length > 0) {
    // A customer's score is a binary search (width_bucket) in its rank's sorted values: the exact
    // position of its own value, whose score was computed from everyone's (rankCtes).
    let arrays: Array<{ vals: string; scores: string }>;
    if (options.ranks) {
      const given = options.ranks;
      arrays = ranks.map((_, i) => ({
        vals: `${p.add(given[i]!.vals)}::numeric[]`,
        scores: `${p.add(given[i]!.scores)}::int[]`,
      }));
    } else {
      const everyone = early === undefined && part === undefined ? base : baseOf();
      ctes.push(...rankCtes(ranks, withDerived(everyone.relation, derived, simpleExpr)));
      arrays = ranks.map((_, i) => ({ vals: `r${i}.vals`, scores: `r${i}.scores` }));
    }
    const picks = ranks.map((r, i) => {
      columns.push({ name: r.col, type: 'numeric' });
      const v = `x.${r.source}::numeric`;
      return `CASE WHEN ${r.has(`x.${r.source}`)} THEN (${arrays[i]!.scores})[width_bucket(${v}, ${arrays[i]!.vals})] ELSE 0 END AS ${r.col}`;
    });
    const joins = options.ranks ? '' : ranks.map((_, i) => ` CROSS JOIN rank_${i} r${i}`).join('');
    relation = `SELECT x.*, ${picks.join(', ')} FROM (${relation}) x${joins}`;
  }
  relation = step(relation, combinedExpr);
  if (customerId !== undefined && early === undefined)
    relation = `SELECT x.* FROM (${relation}) x WHERE x.customer_id = ${p.add(customerId)}`;
  return {
    sql: ctes.length > 0 ? `WITH ${ctes.join(',\n    ')}\n    ${relation}` : relation,
    ctes,
    relation,
    columns,
  };
}

/**
 * The ranks' sorted distinct values and scores, computed once over everyone existing at asOf, for
 * statements that then read in parts (measuresQuery's `ranks`). Empty without ranks.
 */
export async function rankArrays(db: Queryable, set: MeasureSet, path: ReadPath, asOf: Date): Promise<RankArrays> {
  const derived = [...set.derived.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const ranks = rankedMeasures(derived);
  if (ranks.length === 0) return [];
  const events = [...set.events.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const p = new Params(asOf);
  const base = path.from === 'state' ? baseFromState(events, p, path.features, asOf) : baseFromEvents(events, p);
  const ctes = [...base.ctes, ...rankCtes(ranks, withDerived(base.relation, derived, simpleExpr))];
  const r = await db.query<Record<string, unknown[] | null>>(
    `WITH ${ctes.join(',\n    ')}
     SELECT ${ranks.map((_, i) => `r${i}.vals::numeric[] AS v${i}, r${i}.scores AS s${i}`).join(', ')}
     FROM ${ranks.map((_, i) => `rank_${i} r${i}`).join(' CROSS JOIN ')}`,
    p.values,
  );
  const row = r.rows[0]!;
  return ranks.map((_, i) => ({ vals: row[`v${i}`] ?? null, scores: (row[`s${i}`] as number[] | null) ?? null }));
}

type Rank = { col: string; source: string; has: (v: string) => string; order: 'ASC' | 'DESC' };

const rankedMeasures = (derived: Array<[string, DerivedMeasure]>): Rank[] =>
  derived.flatMap(([col, m]) => {
    const rank = rankSource(m);
    return rank ? [{ col, ...rank }] : [];
  });

/** The relation with one step of derived measures added as columns (none: the relation itself). */
function withDerived(
  relation: string,
  derived: Array<[string, DerivedMeasure]>,
  exprOf: (m: DerivedMeasure) => string | undefined,
  onColumn?: (col: string) => void,
): string {
  const cols = derived.flatMap(([col, m]) => {
    const expr = exprOf(m);
    if (expr === undefined) return [];
    onColumn?.(col);
    return [`${expr} AS ${col}`];
  });
  return cols.length > 0 ? `SELECT x.*, ${cols.join(', ')} FROM (${relation}) x` : relation;
}

/**
 * Ranks place a customer among everyone existing at asOf: the figures the ranks read are read
 * once for all of them (the rest of the relation is not computed there), then each rank is its
 * sorted distinct values with a score each — 5 × cume_dist from the distribution of values (a few
 * hundred), the same figure with ties alike and no sort of every customer.
 */
function rankCtes(ranks: Rank[], everyone: string): string[] {
  const sources = [...new Set(ranks.map((r) => r.source))];
  return [
    `rank_sources AS MATERIALIZED (SELECT ${sources.map((c) => `x.${c}`).join(', ')} FROM (${everyone}) x)`,
    ...ranks.map(
      (r, i) => `rank_${i} AS (
      SELECT array_agg(v ORDER BY v)::numeric[] AS vals, array_agg(score ORDER BY v) AS scores FROM (
        SELECT v, ceil(5 * ((sum(n) OVER (ORDER BY v ${r.order}))::float8 / (sum(n) OVER ())::float8))::int AS score
        FROM (SELECT x.${r.source}::numeric AS v, count(*) AS n FROM rank_sources x WHERE ${r.has(`x.${r.source}`)} GROUP BY 1) g) s)`,
    ),
  ];
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
