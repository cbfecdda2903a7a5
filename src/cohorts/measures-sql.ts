import type { Queryable } from '../data/db';
import { answers, keptFeatures } from './customer-state';
import { featuresOf, type StateFeature } from './features';
import { derivedColumn, derivedParts, eventColumn, type DerivedMeasure, type MeasureSet } from './measures';
import { baseFromEvents } from './measures-from-events';
import { baseFromState } from './measures-from-state';
import { AS_OF_DAY, type Params } from './sql-params';

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
  const r = await db.query<{ complete: boolean; later: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM events WHERE ingested_at > d.complete_until)
        AND NOT EXISTS (SELECT 1 FROM crm_history WHERE ingested_at > d.complete_until) AS complete,
            EXISTS (SELECT 1 FROM events WHERE ingested_at > $1) OR EXISTS (SELECT 1 FROM events WHERE occurred_at > $1)
         OR EXISTS (SELECT 1 FROM crm_history WHERE ingested_at > $1) OR EXISTS (SELECT 1 FROM crm_history WHERE updated_at > $1) AS later
     FROM derived_state d WHERE d.name = 'customer_state'`,
    [asOf.toISOString()],
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
  sql: string;
  columns: MeasureColumn[];
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
  customerId?: string,
): MeasuresQuery {
  const events = [...set.events.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  // Ranks compare a customer with everyone: then one customer is picked only at the end.
  const ranked = [...set.derived.values()].some((m) => m.name.startsWith('rfm_'));
  const early = customerId !== undefined && !ranked ? customerId : undefined;
  const base =
    path.from === 'state' ? baseFromState(events, p, path.features, asOf, early) : baseFromEvents(events, p, early);
  const ctes = [...base.ctes];
  const columns: MeasureColumn[] = [
    ...TRAIT_COLUMNS,
    ...events.map(([name, m]): MeasureColumn => ({
      name,
      type: m.agg === 'first' || m.agg === 'last' ? 'date' : 'numeric',
    })),
  ];
  let relation = base.relation;

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
  if (customerId !== undefined && early === undefined)
    relation = `SELECT x.* FROM (${relation}) x WHERE x.customer_id = ${p.add(customerId)}`;
  return { sql: ctes.length > 0 ? `WITH ${ctes.join(',\n    ')}\n    ${relation}` : relation, columns };
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
