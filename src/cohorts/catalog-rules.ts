import { BILLING_TYPES } from '../sources/kinds';
import type { CatalogEntry, PartialEntry } from './catalog';
import type { CohortDefinition, MeasureName, Rule } from './definition';
import { conditions, referenceCycles, referencedCohorts } from './rule-walk';
import { DEFINITION_LIMITS } from './limits';
import { collectMeasures, emptyMeasureSet, SUPPORT_TYPES } from './measures';

// Rules about the catalog as a whole: what no single file can know on its own.

/** Event types every installation has: the billing and support kinds write them (docs/sources.md). */
export const BUILT_IN_EVENT_TYPES: readonly string[] = [...BILLING_TYPES, ...SUPPORT_TYPES];

const MEASURE_SOURCES: Record<MeasureName, Array<'product' | 'crm' | 'billing' | 'support'>> = {
  recency_days: ['product'],
  frequency: ['product'],
  velocity: ['product'],
  rfm_r: ['product'],
  rfm_f: ['product'],
  monetary: ['billing'],
  rfm_m: ['billing'],
  failed_payments: ['billing'],
  upgrades: ['billing'],
  downgrades: ['billing'],
  refunds: ['billing'],
  rfm_score: ['product', 'billing'],
  support_intensity: ['support'],
  tenure_days: ['crm'],
  // Purchasing scores read invoices; propensities read the measures their model was trained on.
  p_alive: ['billing'],
  expected_purchases_90d: ['billing'],
  clv_12m: ['billing'],
  churn_probability: ['product', 'billing', 'support', 'crm'],
  upgrade_probability: ['product', 'billing', 'support', 'crm'],
};

const sourceOfType = (type: string) =>
  (BILLING_TYPES as readonly string[]).includes(type)
    ? 'billing'
    : (SUPPORT_TYPES as readonly string[]).includes(type)
      ? 'support'
      : 'product';

/** The sources a rule reads, each with what made it needed (for the hint). */
export function sourcesRead(rule: Rule): Map<string, string> {
  const needs = new Map<string, string>();
  for (const { rule: r } of conditions(rule)) {
    if ('trait' in r) needs.set('crm', needs.get('crm') ?? `trait ${r.trait.name}`);
    if ('event' in r)
      for (const t of r.event.types ?? [r.event.type!])
        needs.set(sourceOfType(t), needs.get(sourceOfType(t)) ?? `event ${t}`);
    if ('measure' in r)
      for (const s of MEASURE_SOURCES[r.measure.name]) needs.set(s, needs.get(s) ?? `measure ${r.measure.name}`);
  }
  return needs;
}

/**
 * Every problem with the catalog as a whole, each at its file, line and path, with a hint.
 * `partials` are files whose schema failed but whose id and rule parse: their references, event
 * types and sources are checked too (their schema problems are reported on their own).
 */
export function catalogProblems(
  complete: CatalogEntry[],
  vocabulary?: { eventTypes: ReadonlySet<string> },
  partials: PartialEntry[] = [],
): string[] {
  const problems: string[] = [];
  const entries: Array<CatalogEntry | PartialEntry> = [...complete, ...partials];
  if (entries.length > DEFINITION_LIMITS.catalogCohorts)
    problems.push(
      `catalog: ${entries.length} cohort definitions; at most ${DEFINITION_LIMITS.catalogCohorts} are accepted in one catalog folder`,
    );
  const measures = emptyMeasureSet();
  for (const e of complete) collectMeasures(e.definition.rule, measures);
  const columns = measures.events.size + measures.derived.size;
  if (columns > DEFINITION_LIMITS.catalogMeasures)
    problems.push(
      `catalog: the rules need ${columns} distinct measures (event aggregates and measures, each with its window and filters); at most ${DEFINITION_LIMITS.catalogMeasures} are computed in one pass`,
    );
  const byId = new Map<string, CatalogEntry | PartialEntry>();
  for (const e of entries) {
    const other = byId.get(e.definition.id);
    if (other) problems.push(`${e.where(['id'])}: "${e.definition.id}" is already defined in ${other.file}`);
    else byId.set(e.definition.id, e);
  }
  const ids = [...byId.keys()];

  for (const e of entries) {
    for (const { rule, at } of conditions(e.definition.rule)) {
      if ('in_cohort' in rule) {
        const target = byId.get(rule.in_cohort);
        if (!target)
          problems.push(
            `${e.where([...at, 'in_cohort'])}: no cohort "${rule.in_cohort}" in the catalog${hint(rule.in_cohort, ids)}`,
          );
        else if (target.definition.status === 'deprecated' && e.definition.status === 'active') {
          problems.push(
            `${e.where([...at, 'in_cohort'])}: "${rule.in_cohort}" is deprecated; an active cohort cannot build on it (${('deprecationReason' in target.definition && target.definition.deprecationReason) || 'no reason given'})`,
          );
        }
      }
      if ('event' in rule && vocabulary) {
        const types = rule.event.types ?? [rule.event.type!];
        types.forEach((t, i) => {
          if (vocabulary.eventTypes.has(t) || BUILT_IN_EVENT_TYPES.includes(t)) return;
          const known = [...new Set([...vocabulary.eventTypes, ...BUILT_IN_EVENT_TYPES])].sort();
          problems.push(
            `${e.where([...at, 'event', rule.event.types ? `types.${i}` : 'type'])}: unknown event type "${t}"${hint(t, known)}; known types: ${known.join(', ')}`,
          );
        });
      }
    }
    // A partial entry whose sources did not parse has its own problem there already.
    if (!e.definition.sources) continue;
    const declared = new Set(e.definition.sources);
    for (const [source, because] of sourcesRead(e.definition.rule)) {
      if (!declared.has(source as never))
        problems.push(
          `${e.where(['sources'])}: the rule reads ${source} data (${because}) but sources lists ${[...declared].join(', ') || 'nothing'}; add ${source}`,
        );
    }
  }

  for (const cycle of referenceCycles(entries.map((e) => e.definition))) {
    const first = byId.get(cycle[0]!)!;
    problems.push(
      `${first.where(['rule'])}: cohorts refer to each other in a cycle: ${[...cycle, cycle[0]].join(' → ')}; remove one in_cohort`,
    );
  }
  return problems;
}

/**
 * Compute order: each cohort with the cohorts it needs computed before it (within `ids`).
 * Assumes no cycles (catalogProblems refuses them).
 */
export function dependencies(definitions: ReadonlyMap<string, CohortDefinition>, ids: string[]): Map<string, string[]> {
  const inScope = new Set(ids);
  return new Map(
    ids.map((id) => [
      id,
      referencedCohorts(definitions.get(id)!.rule)
        .filter((r) => inScope.has(r))
        .sort(),
    ]),
  );
}

/** " (did you mean x?)" when a known name is one or two edits away. */
function hint(name: string, known: string[]): string {
  const close = known
    .map((k) => [k, distance(name, k)] as const)
    .filter(([, d]) => d <= 2)
    .sort((a, b) => a[1] - b[1]);
  return close.length ? ` (did you mean ${close[0]![0]}?)` : '';
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const next = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j]!;
      row[j] = next;
    }
  }
  return row[b.length]!;
}
