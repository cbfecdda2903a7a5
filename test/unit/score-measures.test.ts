import { parseDefinition } from '../../src/cohorts/catalog';
import { sourcesRead } from '../../src/cohorts/catalog-rules';

// Scores in the rule language: validated like every measure, each mistake named at its field.

const definition = (measure: string, sources = '[product, crm, billing, support]') => `id: scored
name: Scored
purpose: A cohort reading a score.
owner: qa
tier: tactical
sources: ${sources}
limitations: none known
rule:
  all:
    - trait: { name: plan, in: [pro] }
    - measure: ${measure}
`;

describe('score measures in a definition', () => {
  it.each([
    '{ name: churn_probability, gte: 0.7 }',
    '{ name: p_alive, lt: 0.3 }',
    '{ name: expected_purchases_90d, gte: 2 }',
    '{ name: upgrade_probability, gt: 0.5 }',
    '{ name: clv_12m, gte: 500 }',
    '{ name: clv_12m, as: quantile, gte: 0.8 }',
    '{ name: churn_probability, as: quantile, gte: 0.9 }',
  ])('accepts %s', (measure) => {
    expect(parseDefinition('scored.yaml', definition(measure)).problems).toEqual([]);
  });

  it.each([
    ['{ name: churn_probabilty, gte: 0.7 }', /^scored\.yaml:11: rule\.all\.1\.measure\.name: .*churn_probability/],
    [
      '{ name: churn_probability, gte: 70 }',
      /^scored\.yaml:11: rule\.all\.1\.measure\.gte: churn_probability lies between 0 and 1/,
    ],
    [
      '{ name: clv_12m, as: quantile, gte: 80 }',
      /^scored\.yaml:11: rule\.all\.1\.measure\.gte: clv_12m as quantile lies between 0 and 1/,
    ],
    [
      '{ name: frequency, as: quantile, gte: 0.5 }',
      /^scored\.yaml:11: rule\.all\.1\.measure\.as: frequency is not a score/,
    ],
    [
      '{ name: clv_12m, window: 30d, gte: 10 }',
      /^scored\.yaml:11: rule\.all\.1\.measure\.window: clv_12m takes no window/,
    ],
    ['{ name: p_alive, gte: -0.1 }', /^scored\.yaml:11: rule\.all\.1\.measure\.gte: p_alive is never negative/],
    ['{ name: clv_12m, as: percentile, gte: 0.8 }', /^scored\.yaml:11: rule\.all\.1\.measure\.as: /],
  ])('refuses %s, naming the field', (measure, problem) => {
    const { entry, problems } = parseDefinition('scored.yaml', definition(measure));
    expect(entry).toBeUndefined();
    expect(problems).toEqual([expect.stringMatching(problem)]);
  });

  it('needs the sources a score reads: billing for purchasing scores, every source for propensities', () => {
    const rule = (name: string) => ({ measure: { name, gte: 0.5 } }) as never;
    expect([...sourcesRead(rule('p_alive')).keys()]).toEqual(['billing']);
    expect([...sourcesRead(rule('churn_probability')).keys()].sort()).toEqual(['billing', 'crm', 'product', 'support']);
  });
});
