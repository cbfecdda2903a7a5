import type { CohortDefinition, Rule } from './definition';

// The one way through a rule tree and through the cohorts rules refer to with in_cohort. The
// compiler, the explanation, validation, compute planning and the API all walk with these, so
// they agree on order and on what counts as reachable.

export type RulePath = (string | number)[];

/** An `all` / `any` / `none` of other rules; every other rule is a condition. */
export type Combination = Extract<Rule, { all: Rule[] } | { any: Rule[] } | { none: Rule[] }>;

export const isCombination = (rule: Rule): rule is Combination => 'all' in rule || 'any' in rule || 'none' in rule;

/** What a combination combines, and how. */
export function combination(rule: Combination): { kind: 'all' | 'any' | 'none'; parts: Rule[] } {
  if ('all' in rule) return { kind: 'all', parts: rule.all };
  if ('any' in rule) return { kind: 'any', parts: rule.any };
  return { kind: 'none', parts: rule.none };
}

/** Every condition of a rule (not the all/any/none around them), depth first, each with its path in the document. */
export function conditions(rule: Rule, at: RulePath = ['rule']): Array<{ rule: Rule; at: RulePath }> {
  if (!isCombination(rule)) return [{ rule, at }];
  const { kind, parts } = combination(rule);
  return parts.flatMap((r, i) => conditions(r, [...at, kind, i]));
}

/** The cohorts a rule refers to with in_cohort, each once, in the order the rule names them. */
export const referencedCohorts = (rule: Rule): string[] => [
  ...new Set(conditions(rule).flatMap(({ rule: r }) => ('in_cohort' in r ? [r.in_cohort] : []))),
];

export interface Reach {
  /** Every cohort reached, each once, depth first in the order the rules name them; never a start. */
  reached: string[];
  /** Cohorts referred to whose rule `ruleOf` does not know; not followed. */
  missing: string[];
}

/**
 * The cohorts that the cohorts `from` reach through in_cohort, directly or through each other.
 * A cycle (which catalog validation refuses) ends where it comes back, so this always finishes.
 */
export function reachableCohorts(from: string[], ruleOf: (cohortId: string) => Rule | undefined): Reach {
  const seen = new Set(from);
  const reached: string[] = [];
  const missing = new Set<string>();
  const visit = (rule: Rule) => {
    for (const id of referencedCohorts(rule)) {
      if (seen.has(id)) continue;
      const next = ruleOf(id);
      if (next === undefined) {
        missing.add(id);
        continue;
      }
      seen.add(id);
      reached.push(id);
      visit(next);
    }
  };
  for (const id of from) {
    const rule = ruleOf(id);
    if (rule === undefined) missing.add(id);
    else visit(rule);
  }
  return { reached, missing: [...missing] };
}

/** Each cycle of in_cohort references once, as the ids along it. */
export function referenceCycles(definitions: Array<Pick<CohortDefinition, 'id' | 'rule'>>): string[][] {
  const edges = new Map(definitions.map((d) => [d.id, referencedCohorts(d.rule)]));
  const state = new Map<string, 'open' | 'done'>();
  const found: string[][] = [];
  const visit = (id: string, stack: string[]) => {
    state.set(id, 'open');
    for (const next of edges.get(id) ?? []) {
      if (!edges.has(next)) continue;
      if (state.get(next) === 'open') found.push(stack.slice(stack.indexOf(next)));
      else if (!state.has(next)) visit(next, [...stack, next]);
    }
    state.set(id, 'done');
  };
  for (const id of [...edges.keys()].sort()) if (!state.has(id)) visit(id, [id]);
  return found;
}
