import { windowDays, type CohortDefinition, type Rule } from './definition';
import {
  collectMeasures,
  derivedColumn,
  derivedOf,
  emptyMeasureSet,
  eventColumn,
  eventMeasureOf,
  type MeasureSet,
} from './measures';
import { AS_OF, AS_OF_DAY, measuresQuery, Params, type MeasureColumn, type ReadPath } from './measures-sql';
import { combination, isCombination, reachableCohorts } from './rule-walk';

/** How an in_cohort condition is tested: by a snapshot of the same run, or by the other cohort's own rule. */
export type Reference = { snapshotId: string } | { rule: Rule };

/** A boolean SQL expression over the measures relation `m`; never NULL, so `none` negates cleanly. */
export function predicate(rule: Rule, p: Params, reference: (cohortId: string) => Reference): string {
  const expr = (r: Rule): string => {
    if (isCombination(r)) {
      const { kind, parts } = combination(r);
      const exprs = parts.map(expr);
      if (kind === 'all') return `(${exprs.join(' AND ')})`;
      return kind === 'any' ? `(${exprs.join(' OR ')})` : `(NOT (${exprs.join(' OR ')}))`;
    }
    if ('in_cohort' in r) {
      const ref = reference(r.in_cohort);
      if ('rule' in ref) return expr(ref.rule);
      return `(m.customer_no IN (SELECT unnest(members) FROM snapshot_chunks WHERE snapshot_id = ${p.add(ref.snapshotId)}))`;
    }
    if ('event' in r) {
      const m = eventMeasureOf(r.event);
      const col = `m.${eventColumn(m)}`;
      const occurrence = r.event.first ?? r.event.last;
      if (occurrence) {
        // first/last are days: `within: 7d` is asOf's day or the 6 before it; `before: 30d` is earlier.
        const days = p.add(windowDays((occurrence.within ?? occurrence.before)!));
        return occurrence.within
          ? `COALESCE(${col} > ${AS_OF_DAY} - ${days}::int, false)`
          : `COALESCE(${col} <= ${AS_OF_DAY} - ${days}::int, false)`;
      }
      return bounds(col, (r.event.count ?? r.event.sum ?? r.event.distinct_days)!, p);
    }
    if ('measure' in r) {
      const col = `m.${derivedColumn(derivedOf(r.measure.name, r.measure.window))}`;
      return bounds(col, r.measure, p);
    }
    const t = r.trait;
    const col = `m.${t.name}`; // TraitName is an enum: the column names of the measures relation
    if (t.in) return `COALESCE(${col}::text = ANY(${p.add(t.in)}::text[]), false)`;
    if (t.notIn) return `COALESCE(NOT (${col}::text = ANY(${p.add(t.notIn)}::text[])), false)`;
    if (t.is !== undefined) return `COALESCE(${col} = ${p.add(t.is)}::boolean, false)`;
    const signupDay = `(${col} AT TIME ZONE 'UTC')::date`;
    if (t.within)
      return `COALESCE(${signupDay} > ${AS_OF_DAY} - ${p.add(windowDays(t.within))}::int AND ${col} <= ${AS_OF}, false)`;
    return `COALESCE(${signupDay} <= ${AS_OF_DAY} - ${p.add(windowDays(t.before!))}::int, false)`;
  };
  return expr(rule);
}

function bounds(col: string, b: { gte?: number; gt?: number; lte?: number; lt?: number }, p: Params): string {
  const parts = [
    b.gte !== undefined ? `${col} >= ${p.add(b.gte)}::numeric` : undefined,
    b.gt !== undefined ? `${col} > ${p.add(b.gt)}::numeric` : undefined,
    b.lte !== undefined ? `${col} <= ${p.add(b.lte)}::numeric` : undefined,
    b.lt !== undefined ? `${col} < ${p.add(b.lt)}::numeric` : undefined,
  ].filter(Boolean);
  return `COALESCE(${parts.join(' AND ')}, false)`;
}

/** The measures a cohort needs, with those of every cohort it refers to (which it may inline). */
export function measuresOf(
  def: CohortDefinition,
  catalog: ReadonlyMap<string, CohortDefinition>,
  set: MeasureSet = emptyMeasureSet(),
): MeasureSet {
  const ruleOf = (id: string) => (id === def.id ? def.rule : catalog.get(id)?.rule);
  collectMeasures(def.rule, set);
  for (const id of reachableCohorts([def.id], ruleOf).reached) collectMeasures(ruleOf(id)!, set);
  return set;
}

export interface CompiledCohort {
  /** Selects customer_id and customer_no of the members. */
  sql: string;
  params: unknown[];
}

/**
 * One self-contained statement: the measures this cohort needs (from where `path` says), then
 * its rule, with referenced cohorts' rules inlined. What preview, explain and why run.
 */
export function compileCohort(
  def: CohortDefinition,
  catalog: ReadonlyMap<string, CohortDefinition>,
  asOf: Date,
  path: ReadPath,
  customerId?: string,
): CompiledCohort & { columns: MeasureColumn[] } {
  const p = new Params(asOf);
  const measures = measuresQuery(measuresOf(def, catalog), p, path, asOf, customerId);
  const where = predicate(def.rule, p, (id) => ({ rule: catalog.get(id)!.rule }));
  return {
    sql: `WITH measures AS (${measures.sql})\nSELECT m.customer_id, m.customer_no FROM measures m WHERE ${where}`,
    params: p.values,
    columns: measures.columns,
  };
}

/** The measures tables compute builds are named only by this pattern: an allow-list for an identifier. */
export const MEASURES_TABLE = /^measures_[0-9a-f]{16}$/;

/**
 * The cohort over a run's materialised measures table: referenced cohorts computed in the same
 * run are read from their snapshots; others are inlined.
 */
export function compileOverTable(
  def: CohortDefinition,
  table: string,
  asOf: Date,
  reference: (cohortId: string) => Reference,
): CompiledCohort {
  if (!MEASURES_TABLE.test(table)) throw new Error(`not a measures table: ${table}`);
  const p = new Params(asOf);
  const where = predicate(def.rule, p, reference);
  // asOf ($1) is always a parameter; a rule that does not use it still types it here.
  return {
    sql: `SELECT m.customer_id, m.customer_no, $1::timestamptz AS as_of FROM ${table} m WHERE ${where}`,
    params: p.values,
  };
}
