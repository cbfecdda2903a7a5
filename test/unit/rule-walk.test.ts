import type { Rule } from '../../src/cohorts/definition';
import { conditions, reachableCohorts, referencedCohorts } from '../../src/cohorts/rule-walk';

const login: Rule = { event: { type: 'login', within: '30d', count: { gte: 1 } } };
const paid: Rule = { trait: { name: 'lifecycle_stage', in: ['paid'] } };

describe('walking a rule', () => {
  it('lists every condition depth first with its path in the document', () => {
    const rule: Rule = { all: [paid, { any: [login, { in_cohort: 'trial' }] }, { none: [{ in_cohort: 'churned' }] }] };
    expect(conditions(rule).map((c) => c.at.join('.'))).toEqual([
      'rule.all.0',
      'rule.all.1.any.0',
      'rule.all.1.any.1',
      'rule.all.2.none.0',
    ]);
  });

  it('names each referenced cohort once, in the order the rule names them', () => {
    const rule: Rule = { any: [{ in_cohort: 'b' }, { all: [{ in_cohort: 'a' }, { in_cohort: 'b' }] }] };
    expect(referencedCohorts(rule)).toEqual(['b', 'a']);
  });
});

describe('cohorts reachable through in_cohort', () => {
  const rules: Record<string, Rule> = {
    top: { all: [{ in_cohort: 'middle' }, { in_cohort: 'side' }] },
    middle: { all: [{ in_cohort: 'base' }, login] },
    side: { any: [{ in_cohort: 'base' }, { in_cohort: 'gone' }] },
    base: paid,
    loopA: { all: [{ in_cohort: 'loopB' }] },
    loopB: { all: [{ in_cohort: 'loopA' }] },
  };
  const ruleOf = (id: string) => rules[id];

  it('follows references transitively, depth first, each cohort once and never the start', () => {
    expect(reachableCohorts(['top'], ruleOf)).toEqual({ reached: ['middle', 'base', 'side'], missing: ['gone'] });
  });

  it('leaves out the start cohorts even when one reaches another', () => {
    expect(reachableCohorts(['middle', 'base'], ruleOf)).toEqual({ reached: [], missing: [] });
  });

  it('ends a cycle where it comes back instead of walking for ever', () => {
    expect(reachableCohorts(['loopA'], ruleOf)).toEqual({ reached: ['loopB'], missing: [] });
  });

  it('reports a start cohort it does not know as missing', () => {
    expect(reachableCohorts(['nowhere'], ruleOf)).toEqual({ reached: [], missing: ['nowhere'] });
  });
});
