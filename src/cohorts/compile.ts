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
import {
  AS_OF,
  AS_OF_DAY,
  measuresQuery,
  overMeasures,
  Params,
  type MeasureColumn,
  type MeasuresOptions,
  type ReadPath,
  type ScoreSource,
} from './measures-sql';
import { combination, isCombination, reachableCohorts, type Combination } from './rule-walk';

/**
 * Rules as boolean SQL expressions over the measures relation `m`; never NULL, so `none` negates
 * cleanly. A cohort reached through in_cohort is its rule at the same asOf (what its snapshot of
 * the same run holds), compiled once however many paths lead to it: a `LATERAL` subquery per
 * customer row whose one column later rules read, so a chain of cohorts each naming the previous
 * one twice costs one subquery per cohort where inlining would double the SQL at every level.
 * Each stays per customer (no join across customers); OFFSET 0 keeps the planner from inlining
 * the subqueries back into their readers.
 */
export class RuleCompiler {
  /** `CROSS JOIN LATERAL (…) name`, each after the ones it reads. */
  readonly laterals: string[] = [];
  private readonly compiled = new Map<string, string>();
  private readonly compiling = new Set<string>();

  constructor(
    private readonly p: Params,
    private readonly referenced: (cohortId: string) => Rule,
  ) {}

  predicate(rule: Rule): string {
    if (isCombination(rule)) {
      const { kind, parts } = combination(rule);
      const exprs = parts.map((r) => this.predicate(r));
      if (kind === 'all') return `(${exprs.join(' AND ')})`;
      return kind === 'any' ? `(${exprs.join(' OR ')})` : `(NOT (${exprs.join(' OR ')}))`;
    }
    if ('in_cohort' in rule) return this.inCohort(rule.in_cohort);
    return condition(rule, this.p);
  }

  /** `FROM (relation) m` followed by the referenced cohorts' subqueries. */
  from(relation: string): string {
    return [relation, ...this.laterals].join('\n    ');
  }

  private inCohort(cohortId: string): string {
    const done = this.compiled.get(cohortId);
    if (done) return done;
    // Catalog validation refuses cycles; this keeps a bad catalog from recursing for ever.
    if (this.compiling.has(cohortId)) throw new Error(`in_cohort cycle through ${cohortId}`);
    this.compiling.add(cohortId);
    const where = this.predicate(this.referenced(cohortId));
    this.compiling.delete(cohortId);
    const name = `ref_cohort_${this.laterals.length + 1}`;
    this.laterals.push(`CROSS JOIN LATERAL (SELECT ${where} AS member OFFSET 0) ${name}`);
    const expr = `${name}.member`;
    this.compiled.set(cohortId, expr);
    return expr;
  }
}

/** One event, measure or trait condition over `m`. */
function condition(r: Exclude<Rule, Combination | { in_cohort: string }>, p: Params): string {
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
    const col = `m.${derivedColumn(derivedOf(r.measure.name, r.measure.window, r.measure.as))}`;
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
 * its rule, each cohort it refers to compiled once. What preview, explain and why run.
 */
export function compileCohort(
  def: CohortDefinition,
  catalog: ReadonlyMap<string, CohortDefinition>,
  asOf: Date,
  path: ReadPath,
  customerId?: string,
  scores?: ScoreSource,
): CompiledCohort & { columns: MeasureColumn[] } {
  const p = new Params(asOf);
  const measures = measuresQuery(measuresOf(def, catalog), p, path, asOf, { customerId, scores });
  const rules = new RuleCompiler(p, (id) => catalog.get(id)!.rule);
  const where = rules.predicate(def.rule);
  return {
    sql: overMeasures(measures, (m) => `SELECT m.customer_id, m.customer_no FROM ${rules.from(m)} WHERE ${where}`),
    params: p.values,
    columns: measures.columns,
  };
}

/** The measures a run's cohorts read, with those of the cohorts they refer to. */
export function runMeasures(
  cohorts: Array<{ definition: CohortDefinition }>,
  catalog: ReadonlyMap<string, CohortDefinition>,
): MeasureSet {
  const set = emptyMeasureSet();
  for (const c of cohorts) measuresOf(c.definition, catalog, set);
  return set;
}

/**
 * Every cohort of a run in one statement: per customer existing at asOf, one boolean column per
 * cohort (`column` names it), each its rule over the measures all of them need. in_cohort is the
 * referenced cohort's rule at the same asOf (what its snapshot of the same run holds), compiled
 * once for the whole statement. A condition that fails first spares the measures the rest of the
 * rule reads (those a referenced cohort reads are read for it).
 */
export function compileRunCohorts(
  cohorts: Array<{ column: string; definition: CohortDefinition }>,
  catalog: ReadonlyMap<string, CohortDefinition>,
  asOf: Date,
  path: ReadPath,
  options: Pick<MeasuresOptions, 'part' | 'ranks' | 'scores'> = {},
): CompiledCohort {
  const p = new Params(asOf);
  const measures = measuresQuery(runMeasures(cohorts, catalog), p, path, asOf, options);
  const rules = new RuleCompiler(p, (id) => catalog.get(id)!.rule);
  const flags = cohorts.map((c) => `${rules.predicate(c.definition.rule)} AS ${c.column}`);
  return {
    sql: overMeasures(
      measures,
      (m) => `SELECT m.customer_id, m.customer_no${flags.map((f) => `, ${f}`).join('')} FROM ${rules.from(m)}`,
    ),
    params: p.values,
  };
}
