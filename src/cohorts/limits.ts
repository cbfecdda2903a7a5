import type { YamlLimits } from '../yaml-document';
import type { Rule } from './definition';
import { combination, isCombination, type RulePath } from './rule-walk';

// How big a definition and a catalog may get. Each limit is far above what a real cohort needs
// (the default catalog's deepest rule nests 3 levels, its longest has 7 conditions) and far below
// what would hurt: a request that parses, validates and compiles in milliseconds, a measures
// table well inside PostgreSQL's 1,600 columns.

export const DEFINITION_LIMITS = {
  /** One definition file, as YAML. */
  yaml: { maxBytes: 64 * 1024, maxDepth: 64, maxAliasCount: 100 } satisfies YamlLimits,
  /** all/any/none inside each other: `rule` itself is level 1. */
  ruleDepth: 16,
  /** Conditions and combinators in one rule. */
  ruleNodes: 256,
  /** Cohort definitions in one catalog folder. */
  catalogCohorts: 500,
  /** Distinct measure columns the catalog's rules need, which one measures pass computes. */
  catalogMeasures: 1000,
};

export interface RuleSizeProblem {
  at: RulePath;
  message: string;
}

/** The first place a rule nests too deep, and a rule with too many nodes; walked without recursion. */
export function ruleSizeProblems(rule: Rule, at: RulePath = ['rule']): RuleSizeProblem[] {
  const problems: RuleSizeProblem[] = [];
  let nodes = 0;
  let deepest: { depth: number; at: RulePath } | undefined;
  const stack: Array<{ rule: Rule; at: RulePath; depth: number }> = [{ rule, at, depth: 1 }];
  while (stack.length > 0) {
    const next = stack.pop()!;
    nodes += 1;
    if (next.depth > DEFINITION_LIMITS.ruleDepth && !deepest) deepest = next;
    if (!isCombination(next.rule)) continue;
    const { kind, parts } = combination(next.rule);
    parts.forEach((r, i) => stack.push({ rule: r, at: [...next.at, kind, i], depth: next.depth + 1 }));
  }
  if (deepest)
    problems.push({
      at: deepest.at,
      message: `rules nest more than ${DEFINITION_LIMITS.ruleDepth} levels deep (all/any/none inside each other); flatten the rule or build on another cohort with in_cohort`,
    });
  if (nodes > DEFINITION_LIMITS.ruleNodes)
    problems.push({
      at,
      message: `the rule has ${nodes} conditions and combinators; at most ${DEFINITION_LIMITS.ruleNodes} are accepted`,
    });
  return problems;
}
