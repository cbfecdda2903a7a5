import { CohortDefinition, type Rule } from '../../src/cohorts/definition';
import { addCustomer, addEvent, changeCustomer, rebuildDerivedState } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { statementMembers } from '../support/statement';

// The derived customer state (one row per customer, per feature the days and running totals)
// must answer every condition of the language exactly as the raw rows do, at any asOf that sees
// all the data: the same asOf day, a later one (windows slide over days without data), a much
// later one. The raw-rows path is the one the language specification checks
// (cohort-language.test.ts); here the state is held to it.

let test: TestDatabase;

const definition = (rule: Rule, id = 'state-spec'): CohortDefinition =>
  CohortDefinition.parse({
    id,
    name: 'Spec',
    purpose: 'Derived state specification',
    owner: 'qa',
    tier: 'tactical',
    sources: ['product', 'crm', 'billing', 'support'],
    limitations: 'test',
    rule,
  });

const RULES: Array<[string, Rule]> = [
  ['count in 7d', { event: { type: 'login', within: '7d', count: { gte: 2 } } }],
  ['count in 1d', { event: { type: 'login', within: '1d', count: { gte: 1 } } }],
  ['types, count in 30d', { event: { types: ['invite_sent', 'report_exported'], within: '30d', count: { gte: 2 } } }],
  [
    'where, several values',
    { event: { type: 'feature_used', where: { feature: ['api', 'sql_editor'] }, within: '30d', count: { gte: 2 } } },
  ],
  [
    'where on priority',
    { event: { type: 'ticket_opened', where: { priority: ['high', 'urgent'] }, within: '30d', count: { gte: 1 } } },
  ],
  ['sum of money in USD', { event: { type: 'invoice_paid', within: '90d', sum: { gte: 100 } } }],
  ['sum, no rate counts nothing', { event: { type: 'invoice_paid', within: '90d', sum: { lt: 1 } } }],
  ['sum of non-money values', { event: { type: 'ticket_closed', within: '30d', sum: { gte: 8 } } }],
  ['distinct days', { event: { type: 'login', within: '14d', distinct_days: { gte: 3 } } }],
  ['first within', { event: { type: 'feature_used', where: { feature: 'api' }, first: { within: '30d' } } }],
  ['first before', { event: { type: 'feature_used', where: { feature: 'sql_editor' }, first: { before: '10d' } } }],
  ['last within', { event: { type: 'login', last: { within: '3d' } } }],
  ['last before', { event: { type: 'subscription_cancelled', last: { before: '5d' } } }],
  ['recency', { measure: { name: 'recency_days', lte: 4 } }],
  ['frequency', { measure: { name: 'frequency', window: '14d', gte: 3 } }],
  ['monetary', { measure: { name: 'monetary', gte: 50 } }],
  ['velocity', { measure: { name: 'velocity', lte: 0.5 } }],
  ['no velocity', { none: [{ measure: { name: 'velocity', gte: 0 } }] }],
  ['support intensity', { measure: { name: 'support_intensity', gte: 1 } }],
  ['failed payments', { measure: { name: 'failed_payments', window: '60d', gte: 1 } }],
  [
    'upgrades and refunds',
    { any: [{ measure: { name: 'upgrades', gte: 1 } }, { measure: { name: 'refunds', gte: 1 } }] },
  ],
  ['tenure', { measure: { name: 'tenure_days', gte: 20 } }],
  ['rfm score', { measure: { name: 'rfm_score', gte: 10 } }],
  ['rfm recency', { measure: { name: 'rfm_r', gte: 4 } }],
  ['traits', { all: [{ trait: { name: 'plan', in: ['pro'] } }, { trait: { name: 'consent_marketing', is: true } }] }],
  ['signup within', { trait: { name: 'signup_at', within: '14d' } }],
];
const AS_OFS = ['2026-03-01T12:00:00Z', '2026-03-09T00:00:00Z', '2026-06-01T00:00:00Z'];

beforeAll(async () => {
  test = await freshDatabase('customer_state');
  const days = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i).filter((d) => d <= 28);
  const at = (day: number, hour = 10) => new Date(Date.UTC(2026, 1, day, hour)).toISOString(); // February 2026
  for (let c = 0; c < 12; c += 1) {
    const id = `st_${c}`;
    await addCustomer(test.db, id, {
      plan: ['pro', 'free', 'enterprise'][c % 3],
      consent_marketing: c % 4 !== 0,
      signup_at: at(1 + c * 2),
    });
    for (const d of days(1 + c, 10 + (c % 5) * 3)) await addEvent(test.db, id, 'login', at(d, 8 + (c % 3)));
    if (c % 2 === 0) for (const d of days(20, 9)) await addEvent(test.db, id, 'login', at(d, 12));
    for (const d of [2, 15, 27].slice(0, 1 + (c % 3)))
      await addEvent(test.db, id, 'feature_used', at(d), {
        properties: { feature: ['api', 'sql_editor', 'alerts'][(c + d) % 3] },
      });
    if (c % 3 === 0) await addEvent(test.db, id, 'invite_sent', at(25));
    if (c % 4 === 1) await addEvent(test.db, id, 'report_exported', at(26));
    await addEvent(test.db, id, 'invoice_paid', at(5 + c), {
      value: 40 + c * 9,
      properties: { currency: ['USD', 'EUR', 'JPY', 'XXX'][c % 4] },
    });
    if (c % 5 === 2) await addEvent(test.db, id, 'refund', at(18), { value: 20, properties: { currency: 'USD' } });
    if (c % 3 === 1)
      await addEvent(test.db, id, 'payment_failed', at(9), { value: 49, properties: { currency: 'USD' } });
    if (c % 6 === 5) await addEvent(test.db, id, 'subscription_upgraded', at(12));
    if (c % 4 === 2) await addEvent(test.db, id, 'subscription_cancelled', at(Math.min(20 + c, 28)));
    if (c % 2 === 1) {
      await addEvent(test.db, id, 'ticket_opened', at(22), { properties: { priority: c % 3 ? 'urgent' : 'low' } });
      await addEvent(test.db, id, 'ticket_closed', at(24), { value: 2 + (c % 4) * 2, properties: { priority: 'low' } });
    }
  }
  // Active on asOf's own day, and one customer active only lately (no velocity).
  for (const c of [0, 3, 6]) await addEvent(test.db, `st_${c}`, 'login', '2026-03-01T09:00:00Z');
  await addCustomer(test.db, 'st_late', { plan: 'pro', consent_marketing: true, signup_at: at(24) });
  await addEvent(test.db, 'st_late', 'login', at(25));
  await changeCustomer(test.db, 'st_1', { updatedAt: at(20), ingestedAt: at(20) }, { plan: 'pro' });
  await rebuildDerivedState(test.db);
});

afterAll(async () => {
  await test.drop();
});

describe('the derived customer state answers as the raw rows do', () => {
  it.each(AS_OFS.flatMap((asOf) => RULES.map(([name, rule]) => [name, asOf, rule] as const)))(
    '%s, as of %s',
    async (_name, asOf, rule) => {
      const def = definition(rule);
      const catalog = new Map([[def.id, def]]);
      const fromState = await statementMembers(test.db, def, catalog, new Date(asOf));
      const fromEvents = await statementMembers(test.db, def, catalog, new Date(asOf), 'events');
      expect(fromState.from).toBe('state');
      expect(fromState.members).toEqual(fromEvents.members);
    },
  );

  it('selects someone and leaves someone out under most rules, so the comparison is not vacuous', async () => {
    let decisive = 0;
    for (const [, rule] of RULES) {
      const def = definition(rule);
      const { members } = await statementMembers(test.db, def, new Map([[def.id, def]]), new Date(AS_OFS[0]!));
      if (members.length > 0 && members.length < 13) decisive += 1;
    }
    expect(decisive).toBeGreaterThanOrEqual(RULES.length - 4);
  });

  it('reads the raw rows for an asOf the data runs past', async () => {
    const def = definition(RULES[0]![1]);
    const { from } = await statementMembers(test.db, def, new Map([[def.id, def]]), new Date('2026-02-10T00:00:00Z'));
    expect(from).toBe('events');
  });
});
