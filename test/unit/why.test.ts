import { CohortDefinition, type EventCondition, type Rule } from '../../src/cohorts/definition';
import { derivedColumn, derivedOf, eventColumn, eventMeasureOf } from '../../src/cohorts/measures';
import type { MeasureRow } from '../../src/cohorts/member-measures';
import { explainRule, renderWhy } from '../../src/cohorts/why';

const AS_OF = new Date('2026-03-01T10:00:00Z');
const noCatalog = { asOf: AS_OF, catalog: new Map<string, CohortDefinition>() };

/** The measures-row column an event condition reads, as compile.ts names it. */
const col = (event: EventCondition) => eventColumn(eventMeasureOf(event));
const explain = (rule: Rule, row: MeasureRow, ctx = noCatalog) => explainRule(rule, row, ctx);

describe('explaining an event condition', () => {
  const logins: EventCondition = { type: 'login', within: '30d', count: { gte: 5 } };

  it('holds when the count meets the bound, and shows the count', () => {
    const node = explain({ event: logins }, { [col(logins)]: 7 });
    expect(node).toMatchObject({ holds: true, kind: 'event', text: 'event login within 30d count = 7 (gte 5)' });
  });

  it('fails when the count misses the bound', () => {
    expect(explain({ event: logins }, { [col(logins)]: 2 }).holds).toBe(false);
  });

  it('fails when the figure is missing', () => {
    expect(explain({ event: logins }, {})).toMatchObject({
      holds: false,
      text: 'event login within 30d count = none (gte 5)',
    });
  });

  it('names several types and the property filter', () => {
    const exports: EventCondition = {
      types: ['report_exported', 'feature_used'],
      where: { format: 'csv' },
      within: '14d',
      sum: { gt: 0, lte: 100 },
    };
    expect(explain({ event: exports }, { [col(exports)]: 12.5 })).toMatchObject({
      holds: true,
      text: 'event [feature_used, report_exported] where format in [csv] within 14d sum = 12.5 (gt 0, lte 100)',
    });
  });

  describe('last occurrence within 7 days (asOf 2026-03-01)', () => {
    const recent: EventCondition = { type: 'login', last: { within: '7d' } };

    it('holds for the seventh day back, 2026-02-23', () => {
      expect(explain({ event: recent }, { [col(recent)]: '2026-02-23' })).toMatchObject({
        holds: true,
        text: 'event login last = 2026-02-23 (within 7d: on or after 2026-02-23)',
      });
    });

    it('fails for the eighth day back, 2026-02-22', () => {
      expect(explain({ event: recent }, { [col(recent)]: '2026-02-22' }).holds).toBe(false);
    });

    it('fails when the customer never had the event', () => {
      expect(explain({ event: recent }, { [col(recent)]: null })).toMatchObject({
        holds: false,
        text: 'event login last = none (within 7d: on or after 2026-02-23)',
      });
    });
  });

  it('first occurrence before 30 days holds on or before asOf day − 30', () => {
    const old: EventCondition = { type: 'login', first: { before: '30d' } };
    expect(explain({ event: old }, { [col(old)]: '2026-01-30' })).toMatchObject({
      holds: true,
      text: 'event login first = 2026-01-30 (before 30d: on or before 2026-01-30)',
    });
    expect(explain({ event: old }, { [col(old)]: '2026-01-31' }).holds).toBe(false);
  });
});

describe('explaining a measure condition', () => {
  const velocity = derivedColumn(derivedOf('velocity'));

  it('shows the measure with its default window and the bound', () => {
    expect(explain({ measure: { name: 'velocity', lte: 0.5 } }, { [velocity]: 0.42 })).toMatchObject({
      holds: true,
      text: 'measure velocity 14d = 0.42 (lte 0.5)',
    });
  });

  it('rounds long figures for reading but decides on the exact value', () => {
    const node = explain({ measure: { name: 'velocity', lte: 0.33333 } }, { [velocity]: 1 / 3 });
    expect(node).toMatchObject({ holds: false, text: 'measure velocity 14d = 0.3333 (lte 0.33333)' });
  });

  it('fails when the measure has no value (no activity in the previous window)', () => {
    expect(explain({ measure: { name: 'velocity', gte: 0 } }, { [velocity]: null }).holds).toBe(false);
  });

  it('reads a measure without a window by its plain name', () => {
    expect(
      explain({ measure: { name: 'tenure_days', gte: 30 } }, { [derivedColumn(derivedOf('tenure_days'))]: 45 }).text,
    ).toBe('measure tenure_days = 45 (gte 30)');
  });
});

describe('explaining a trait condition', () => {
  it('holds when the value is in the list', () => {
    expect(explain({ trait: { name: 'plan', in: ['pro', 'enterprise'] } }, { plan: 'pro' })).toMatchObject({
      holds: true,
      text: 'trait plan = "pro" in [pro, enterprise]',
    });
  });

  it('a missing value is in no list and outside none: both fail, as in SQL', () => {
    expect(explain({ trait: { name: 'plan', in: ['pro'] } }, { plan: null }).holds).toBe(false);
    expect(explain({ trait: { name: 'plan', notIn: ['pro'] } }, { plan: null }).holds).toBe(false);
  });

  it('notIn holds for a value outside the list', () => {
    expect(
      explain({ trait: { name: 'lifecycle_stage', notIn: ['churned'] } }, { lifecycle_stage: 'paid' }),
    ).toMatchObject({ holds: true, text: 'trait lifecycle_stage = "paid" not in [churned]' });
  });

  it('tests consent with is', () => {
    expect(explain({ trait: { name: 'consent_marketing', is: true } }, { consent_marketing: true })).toMatchObject({
      holds: true,
      text: 'trait consent_marketing = true (is true)',
    });
    expect(explain({ trait: { name: 'consent_marketing', is: true } }, { consent_marketing: null }).holds).toBe(false);
  });

  it('signup within 30 days counts UTC days and excludes a signup after asOf', () => {
    const recent = { trait: { name: 'signup_at' as const, within: '30d' } };
    expect(explain(recent, { signup_at: new Date('2026-01-31T00:00:00Z') }).holds).toBe(true);
    expect(explain(recent, { signup_at: new Date('2026-01-30T23:59:59Z') }).holds).toBe(false);
    expect(explain(recent, { signup_at: new Date('2026-03-01T11:00:00Z') }).holds).toBe(false);
  });

  it('signup before 30 days holds on or before asOf day − 30', () => {
    expect(
      explain({ trait: { name: 'signup_at', before: '30d' } }, { signup_at: new Date('2026-01-30T23:00:00Z') }).holds,
    ).toBe(true);
  });
});

describe('combining conditions', () => {
  const pro: Rule = { trait: { name: 'plan', in: ['pro'] } };
  const german: Rule = { trait: { name: 'country', in: ['DE'] } };
  const row = { plan: 'pro', country: 'FR' };

  it('all holds only when every part holds, and says how many did', () => {
    expect(explain({ all: [pro, german] }, row)).toMatchObject({ holds: false, text: 'all (1 of 2 hold)' });
  });

  it('any holds when one part holds', () => {
    expect(explain({ any: [pro, german] }, row).holds).toBe(true);
  });

  it('none is not any', () => {
    expect(explain({ none: [pro, german] }, row).holds).toBe(false);
    expect(explain({ none: [german] }, row).holds).toBe(true);
  });

  it('places every node in the definition', () => {
    const node = explain({ all: [pro, { none: [german] }] }, row);
    expect(node.children!.map((c) => c.at)).toEqual(['rule.all.0', 'rule.all.1']);
    expect(node.children![1]!.children![0]!.at).toBe('rule.all.1.none.0');
  });
});

describe('explaining in_cohort', () => {
  const paying = CohortDefinition.parse({
    id: 'paying-customers',
    name: 'Paying',
    purpose: 'p',
    owner: 'o',
    tier: 'tactical',
    sources: ['crm'],
    limitations: 'none',
    rule: { trait: { name: 'plan', in: ['pro', 'enterprise'] } },
  });
  const ctx = { asOf: AS_OF, catalog: new Map([[paying.id, paying]]) };

  it("evaluates the referenced cohort's rule on the same row, as a subtree", () => {
    const node = explain({ in_cohort: 'paying-customers' }, { plan: 'enterprise' }, ctx);
    expect(node).toMatchObject({ holds: true, text: 'in_cohort paying-customers' });
    expect(node.children![0]).toMatchObject({
      at: 'paying-customers:rule',
      holds: true,
      text: 'trait plan = "enterprise" in [pro, enterprise]',
    });
  });

  it('fails for a cohort missing from the catalog', () => {
    expect(explain({ in_cohort: 'gone' }, {}, ctx)).toMatchObject({
      holds: false,
      text: 'in_cohort gone (not in the catalog)',
    });
  });
});

describe('rendering the tree', () => {
  it('indents each level and marks each node ✓ or ✗', () => {
    const logins: EventCondition = { type: 'login', within: '30d', count: { gte: 5 } };
    const node = explain(
      { all: [{ trait: { name: 'plan', in: ['pro'] } }, { event: logins }] },
      { plan: 'pro', [col(logins)]: 2 },
    );
    expect(renderWhy(node)).toEqual([
      'all (1 of 2 hold) ✗',
      '  trait plan = "pro" in [pro] ✓',
      '  event login within 30d count = 2 (gte 5) ✗',
    ]);
  });
});
