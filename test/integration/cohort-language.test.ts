import { compileCohort } from '../../src/cohorts/compile';
import { CohortDefinition, type Rule } from '../../src/cohorts/definition';
import { addCustomer, addEvent, changeCustomer, rebuildDerivedState } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { statementMembers } from '../support/statement';

// The language's semantics on hand-built data with known answers (docs/cohorts.md). asOf is at
// noon UTC on 1 March 2026: its day is 2026-03-01, and a 7d window is 23 Feb – 1 Mar.
const AS_OF = new Date('2026-03-01T12:00:00Z');

let test: TestDatabase;

const definition = (rule: Rule, id = 'spec-cohort'): CohortDefinition =>
  CohortDefinition.parse({
    id,
    name: 'Spec',
    purpose: 'Language specification',
    owner: 'qa',
    tier: 'tactical',
    sources: ['product', 'crm', 'billing', 'support'],
    limitations: 'test',
    rule,
  });

/** Members whose id starts with `prefix` (each describe has its own customers). */
async function members(rule: Rule, prefix: string, asOf = AS_OF, others: CohortDefinition[] = []): Promise<string[]> {
  const def = definition(rule);
  const catalog = new Map([def, ...others].map((d) => [d.id, d]));
  const { members: all } = await statementMembers(test.db, def, catalog, asOf);
  return all.filter((id) => id.startsWith(prefix));
}

const tableExists = async (name: string) =>
  (await test.db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name])).rows[0]!.t !== null;

beforeAll(async () => {
  test = await freshDatabase('language');
});

afterAll(async () => {
  await test.drop();
});

describe('combining conditions', () => {
  beforeAll(async () => {
    await addCustomer(test.db, 'cmb_pro_de', { plan: 'pro', country: 'DE' });
    await addCustomer(test.db, 'cmb_free_de', { plan: 'free', country: 'DE' });
    await addCustomer(test.db, 'cmb_pro_fr', { plan: 'pro', country: 'FR' });
    await rebuildDerivedState(test.db);
  });
  const pro: Rule = { trait: { name: 'plan', in: ['pro'] } };
  const germany: Rule = { trait: { name: 'country', in: ['DE'] } };

  it('all: selects customers matching every condition', async () => {
    expect(await members({ all: [pro, germany] }, 'cmb_')).toEqual(['cmb_pro_de']);
  });

  it('any: selects customers matching at least one condition', async () => {
    expect(
      await members(
        { any: [{ trait: { name: 'plan', in: ['free'] } }, { trait: { name: 'country', in: ['FR'] } }] },
        'cmb_',
      ),
    ).toEqual(['cmb_free_de', 'cmb_pro_fr']);
  });

  it('none: selects customers matching no condition', async () => {
    expect(await members({ none: [germany] }, 'cmb_')).toEqual(['cmb_pro_fr']);
  });

  it('nests: all of (pro, none of (DE))', async () => {
    expect(await members({ all: [pro, { none: [germany] }] }, 'cmb_')).toEqual(['cmb_pro_fr']);
  });

  it('gives an empty cohort when nobody matches', async () => {
    expect(await members({ all: [pro, { trait: { name: 'country', in: ['JP'] } }] }, 'cmb_')).toEqual([]);
  });
});

describe('event windows (whole UTC days up to asOf)', () => {
  const loginsIn7d = (count: Record<string, number>): Rule => ({ event: { type: 'login', within: '7d', count } });
  beforeAll(async () => {
    const one = async (id: string, at: string, spec = {}) => {
      await addCustomer(test.db, id);
      await addEvent(test.db, id, 'login', at, spec);
    };
    await one('win_first_day', '2026-02-23T00:00:00Z');
    await one('win_day_before', '2026-02-22T23:59:59.999Z');
    await one('win_at_asof', '2026-03-01T12:00:00Z');
    await one('win_after_asof', '2026-03-01T12:00:00.001Z', { ingestedAt: '2026-03-01T08:00:00Z' });
    await one('win_tz_in', '2026-02-22T23:30:00-02:00'); // 23 Feb 01:30 UTC
    await one('win_tz_out', '2026-02-23T00:30:00+01:00'); // 22 Feb 23:30 UTC
    await addCustomer(test.db, 'win_type');
    await addEvent(test.db, 'win_type', 'feature_used', '2026-02-28T10:00:00Z');
    for (const n of [1, 2, 3, 4]) {
      await addCustomer(test.db, `win_bounds_${n}`);
      for (let k = 0; k < n; k += 1) await addEvent(test.db, `win_bounds_${n}`, 'login', `2026-02-2${4 + k}T10:00:00Z`);
    }
    await addCustomer(test.db, 'win_silent');
    await rebuildDerivedState(test.db);
  });

  it("counts an event on the window's first day, from its first millisecond", async () => {
    expect(await members(loginsIn7d({ gte: 1 }), 'win_first_day')).toEqual(['win_first_day']);
  });

  it('leaves out an event on the day before the window', async () => {
    expect(await members(loginsIn7d({ gte: 1 }), 'win_day_before')).toEqual([]);
  });

  it('counts an event exactly at asOf and none a millisecond after it on the same day', async () => {
    expect(await members(loginsIn7d({ gte: 1 }), 'win_at_asof')).toEqual(['win_at_asof']);
    expect(await members(loginsIn7d({ gte: 1 }), 'win_after_asof')).toEqual([]);
  });

  it('places an event written with a time-zone offset on its UTC day', async () => {
    expect(await members(loginsIn7d({ gte: 1 }), 'win_tz_')).toEqual(['win_tz_in']);
  });

  it('counts only events of the named type', async () => {
    expect(await members(loginsIn7d({ gte: 1 }), 'win_type')).toEqual([]);
  });

  it('treats gte/lte as inclusive and gt/lt as exclusive bounds', async () => {
    expect(await members(loginsIn7d({ gte: 2, lte: 3 }), 'win_bounds_')).toEqual(['win_bounds_2', 'win_bounds_3']);
    expect(await members(loginsIn7d({ gt: 2, lt: 4 }), 'win_bounds_')).toEqual(['win_bounds_3']);
  });

  it('counts a customer without events as zero', async () => {
    expect(await members(loginsIn7d({ lte: 0 }), 'win_silent')).toEqual(['win_silent']);
  });
});

describe('property filters, sums, distinct days, first and last occurrence', () => {
  beforeAll(async () => {
    await addCustomer(test.db, 'prp_api');
    await addEvent(test.db, 'prp_api', 'feature_used', '2026-02-27T10:00:00Z', { properties: { feature: 'api' } });
    await addCustomer(test.db, 'prp_dash');
    await addEvent(test.db, 'prp_dash', 'feature_used', '2026-02-27T10:00:00Z', {
      properties: { feature: 'dashboards' },
    });
    await addCustomer(test.db, 'sum_eur');
    await addEvent(test.db, 'sum_eur', 'invoice_paid', '2026-02-20T10:00:00Z', {
      value: 92,
      properties: { currency: 'EUR' },
    }); // 100 USD
    await addCustomer(test.db, 'sum_usd');
    await addEvent(test.db, 'sum_usd', 'invoice_paid', '2026-02-20T10:00:00Z', {
      value: 99,
      properties: { currency: 'USD' },
    });
    await addCustomer(test.db, 'sum_unknown');
    await addEvent(test.db, 'sum_unknown', 'invoice_paid', '2026-02-20T10:00:00Z', {
      value: 5000,
      properties: { currency: 'XYZ' },
    });
    await addCustomer(test.db, 'day_one');
    for (const h of [9, 10, 11]) await addEvent(test.db, 'day_one', 'search', `2026-02-27T${h}:00:00Z`);
    await addCustomer(test.db, 'day_three');
    for (const d of [25, 26, 27]) await addEvent(test.db, 'day_three', 'search', `2026-02-${d}T09:00:00Z`);
    await addCustomer(test.db, 'occ_new');
    await addEvent(test.db, 'occ_new', 'invite_sent', '2026-02-26T09:00:00Z');
    await addCustomer(test.db, 'occ_old');
    await addEvent(test.db, 'occ_old', 'invite_sent', '2025-12-01T09:00:00Z');
    await addEvent(test.db, 'occ_old', 'invite_sent', '2026-02-28T09:00:00Z');
    await addCustomer(test.db, 'occ_lapsed');
    await addEvent(test.db, 'occ_lapsed', 'invite_sent', '2026-01-10T09:00:00Z');
    await rebuildDerivedState(test.db);
  });

  it('where: counts only events whose property has one of the values', async () => {
    const rule = (feature: string | string[]): Rule => ({
      event: { type: 'feature_used', where: { feature }, within: '7d', count: { gte: 1 } },
    });
    expect(await members(rule('api'), 'prp_')).toEqual(['prp_api']);
    expect(await members(rule(['api', 'dashboards']), 'prp_')).toEqual(['prp_api', 'prp_dash']);
  });

  it('sum: converts amounts to USD and leaves out currencies without a rate', async () => {
    expect(await members({ event: { type: 'invoice_paid', within: '30d', sum: { gte: 100 } } }, 'sum_')).toEqual([
      'sum_eur',
    ]);
    expect(await members({ event: { type: 'invoice_paid', within: '30d', sum: { gte: 99 } } }, 'sum_')).toEqual([
      'sum_eur',
      'sum_usd',
    ]);
  });

  it('distinct_days: counts days with an event, not events', async () => {
    expect(await members({ event: { type: 'search', within: '7d', distinct_days: { gte: 2 } } }, 'day_')).toEqual([
      'day_three',
    ]);
  });

  it('first within: the first ever occurrence is inside the window', async () => {
    expect(await members({ event: { type: 'invite_sent', first: { within: '7d' } } }, 'occ_')).toEqual(['occ_new']);
  });

  it('first before: the first occurrence is earlier than the window', async () => {
    expect(await members({ event: { type: 'invite_sent', first: { before: '30d' } } }, 'occ_')).toEqual([
      'occ_lapsed',
      'occ_old',
    ]);
  });

  it('last before: it happened, but not within the window', async () => {
    expect(await members({ event: { type: 'invite_sent', last: { before: '30d' } } }, 'occ_')).toEqual(['occ_lapsed']);
  });
});

describe('derived measures', () => {
  beforeAll(async () => {
    // velocity: 4 logins in the last 14 days vs 8 before → 0.5; none before → no velocity.
    await addCustomer(test.db, 'vel_slowing');
    for (let k = 0; k < 8; k += 1) await addEvent(test.db, 'vel_slowing', 'login', `2026-02-0${k + 2}T10:00:00Z`);
    for (let k = 0; k < 4; k += 1) await addEvent(test.db, 'vel_slowing', 'login', `2026-02-2${k}T10:00:00Z`);
    await addCustomer(test.db, 'vel_new');
    await addEvent(test.db, 'vel_new', 'login', '2026-02-27T10:00:00Z');
    // recency counts activity only: a payment is not activity.
    await addCustomer(test.db, 'rec_paid_only');
    await addEvent(test.db, 'rec_paid_only', 'invoice_paid', '2026-02-28T10:00:00Z', {
      value: 10,
      properties: { currency: 'USD' },
    });
    await addEvent(test.db, 'rec_paid_only', 'login', '2026-01-30T10:00:00Z');
    await addCustomer(test.db, 'pay_failing');
    await addEvent(test.db, 'pay_failing', 'payment_failed', '2026-02-25T10:00:00Z', {
      value: 49,
      properties: { currency: 'USD' },
    });
    await addEvent(test.db, 'pay_failing', 'payment_failed', '2026-02-28T10:00:00Z', {
      value: 49,
      properties: { currency: 'USD' },
    });
    await addCustomer(test.db, 'ten_old', { signup_at: '2025-03-01T08:00:00Z' });
    await addCustomer(test.db, 'ten_new', { signup_at: '2026-02-20T08:00:00Z' });
    await rebuildDerivedState(test.db);
  });

  it('velocity: activity in the last window over the window before', async () => {
    expect(await members({ measure: { name: 'velocity', lte: 0.5 } }, 'vel_')).toEqual(['vel_slowing']);
  });

  it('velocity: has no value without activity in the previous window, so no bound holds', async () => {
    expect(
      await members(
        { any: [{ measure: { name: 'velocity', lte: 1 } }, { measure: { name: 'velocity', gt: 1 } }] },
        'vel_new',
      ),
    ).toEqual([]);
  });

  it('recency_days: days since the last product activity, not billing', async () => {
    expect(await members({ measure: { name: 'recency_days', gte: 30 } }, 'rec_')).toEqual(['rec_paid_only']);
  });

  it('failed_payments: payment failures in the window', async () => {
    expect(await members({ measure: { name: 'failed_payments', window: '7d', gte: 2 } }, 'pay_')).toEqual([
      'pay_failing',
    ]);
  });

  it('tenure_days: days since signup', async () => {
    expect(await members({ measure: { name: 'tenure_days', gte: 365 } }, 'ten_')).toEqual(['ten_old']);
  });
});

describe('traits', () => {
  beforeAll(async () => {
    // 30d ends on 1 March: it starts on 31 January.
    await addCustomer(test.db, 'trt_pro', { plan: 'pro', signup_at: '2026-01-30T23:59:59Z', consent_marketing: true });
    await addCustomer(test.db, 'trt_free', {
      plan: 'free',
      signup_at: '2026-01-31T00:00:00Z',
      consent_marketing: false,
    });
    await addCustomer(test.db, 'trt_unknown', { plan: null, signup_at: null });
    await addCustomer(test.db, 'trt_today', { plan: 'enterprise', signup_at: '2026-03-01T11:00:00Z' });
    await addCustomer(test.db, 'trt_later_today', { plan: 'enterprise', signup_at: '2026-03-01T13:00:00Z' });
    await rebuildDerivedState(test.db);
  });

  it('in: the trait is one of the values', async () => {
    expect(await members({ trait: { name: 'plan', in: ['pro', 'free'] } }, 'trt_')).toEqual(['trt_free', 'trt_pro']);
  });

  it('notIn: the trait is known and none of the values', async () => {
    expect(await members({ trait: { name: 'plan', notIn: ['pro', 'free'] } }, 'trt_')).toEqual([
      'trt_later_today',
      'trt_today',
    ]);
  });

  it('none of (in): keeps a customer whose trait is unknown', async () => {
    expect(await members({ none: [{ trait: { name: 'plan', in: ['free'] } }] }, 'trt_')).toContain('trt_unknown');
  });

  it('signup_at within 30d: signed up on the window days, up to asOf', async () => {
    expect(await members({ trait: { name: 'signup_at', within: '30d' } }, 'trt_')).toEqual(['trt_free', 'trt_today']);
  });

  it('signup_at before 30d: signed up before the window', async () => {
    expect(await members({ trait: { name: 'signup_at', before: '30d' } }, 'trt_')).toEqual(['trt_pro']);
  });

  it('consent_marketing is true', async () => {
    expect(await members({ trait: { name: 'consent_marketing', is: true } }, 'trt_')).toEqual(['trt_pro']);
  });
});

describe('references to other cohorts', () => {
  const paying = definition({ trait: { name: 'plan', in: ['pro', 'enterprise'] } }, 'paying');
  const active = definition({ event: { type: 'dashboard_shared', within: '30d', count: { gte: 1 } } }, 'sharers');
  beforeAll(async () => {
    await addCustomer(test.db, 'ref_paying_active', { plan: 'pro' });
    await addEvent(test.db, 'ref_paying_active', 'dashboard_shared', '2026-02-20T10:00:00Z');
    await addCustomer(test.db, 'ref_paying_idle', { plan: 'enterprise' });
    await addCustomer(test.db, 'ref_free_active', { plan: 'free' });
    await addEvent(test.db, 'ref_free_active', 'dashboard_shared', '2026-02-20T10:00:00Z');
    await rebuildDerivedState(test.db);
  });

  it('in_cohort: members of the referenced cohort at the same asOf', async () => {
    expect(
      await members({ all: [{ in_cohort: 'paying' }, { in_cohort: 'sharers' }] }, 'ref_', AS_OF, [paying, active]),
    ).toEqual(['ref_paying_active']);
  });

  it('none of in_cohort: everyone outside the referenced cohort', async () => {
    expect(await members({ none: [{ in_cohort: 'paying' }] }, 'ref_', AS_OF, [paying])).toEqual(['ref_free_active']);
  });
});

describe('point in time', () => {
  const rule: Rule = { event: { type: 'report_exported', within: '30d', count: { gte: 1 } } };
  beforeAll(async () => {
    await addCustomer(test.db, 'pit_late_row');
    await addEvent(test.db, 'pit_late_row', 'report_exported', '2026-02-20T10:00:00Z', {
      ingestedAt: '2026-03-01T12:00:00.001Z',
    });
    await addCustomer(test.db, 'pit_on_time');
    await addEvent(test.db, 'pit_on_time', 'report_exported', '2026-02-20T10:00:00Z', {
      ingestedAt: '2026-03-01T12:00:00Z',
    });
    await addCustomer(test.db, 'pit_new_customer', { plan: 'pro', first_seen_at: '2026-03-01T12:00:01Z' });
    await addEvent(test.db, 'pit_new_customer', 'report_exported', '2026-03-01T12:00:00Z');
    // Upgraded after asOf: as of then, the plan was still pro.
    await addCustomer(test.db, 'pit_upgraded', { plan: 'pro' });
    await changeCustomer(
      test.db,
      'pit_upgraded',
      { updatedAt: '2026-03-05T00:00:00Z', ingestedAt: '2026-03-05T00:00:00Z' },
      { plan: 'enterprise' },
    );
    // A record from before asOf that only arrived after it was not known at asOf.
    await addCustomer(test.db, 'pit_late_crm', { plan: 'free' });
    await changeCustomer(
      test.db,
      'pit_late_crm',
      { updatedAt: '2026-02-15T00:00:00Z', ingestedAt: '2026-03-02T00:00:00Z' },
      { plan: 'pro' },
    );
    await rebuildDerivedState(test.db);
  });

  it('ignores an event ingested after asOf, even one that happened before', async () => {
    expect(await members(rule, 'pit_late_row')).toEqual([]);
  });

  it('counts an event ingested exactly at asOf', async () => {
    expect(await members(rule, 'pit_on_time')).toEqual(['pit_on_time']);
  });

  it('leaves out a customer first seen after asOf', async () => {
    expect(await members(rule, 'pit_new_customer')).toEqual([]);
  });

  it('reads traits as they were at asOf', async () => {
    expect(await members({ trait: { name: 'plan', in: ['pro'] } }, 'pit_upgraded')).toEqual(['pit_upgraded']);
    expect(
      await members({ trait: { name: 'plan', in: ['enterprise'] } }, 'pit_upgraded', new Date('2026-03-06T00:00:00Z')),
    ).toEqual(['pit_upgraded']);
  });

  it('ignores a CRM record ingested after asOf, even one dated before it', async () => {
    expect(await members({ trait: { name: 'plan', in: ['free'] } }, 'pit_late_crm')).toEqual(['pit_late_crm']);
  });
});

describe('hostile input in a cohort rule', () => {
  beforeAll(async () => {
    await addCustomer(test.db, 'inj_victim', { plan: 'pro' });
    await addEvent(test.db, 'inj_victim', 'feature_used', '2026-02-27T10:00:00Z', { properties: { feature: 'api' } });
    await rebuildDerivedState(test.db);
  });

  async function runs(def: CohortDefinition): Promise<{ sql: string; params: unknown[]; rows: unknown[] }> {
    const { sql, params } = compileCohort(def, new Map([[def.id, def]]), AS_OF, { from: 'events' });
    return { sql, params, rows: (await test.db.query(sql, params)).rows };
  }

  it('passes trait values as parameters, so SQL in them matches nothing and runs nothing', async () => {
    const hostile = "pro'); DROP TABLE customers; --";
    const { sql, params, rows } = await runs(definition({ trait: { name: 'plan', in: [hostile] } }));
    expect(sql).not.toContain('DROP');
    expect(params).toContainEqual([hostile]);
    expect(rows).toEqual([]);
    expect(await tableExists('customers')).toBe(true);
  });

  it('passes property values as parameters', async () => {
    const hostile = "api' OR '1'='1";
    const { sql, rows } = await runs(
      definition({ event: { type: 'feature_used', where: { feature: hostile }, within: '7d', count: { gte: 1 } } }),
    );
    expect(sql).not.toContain(hostile);
    expect(rows).toEqual([]);
  });

  it('passes the event type and a property name as parameters even when the schema is bypassed', async () => {
    const type = "login' OR 1=1; DROP TABLE events; --";
    const key = "feature' OR 1=1; DROP TABLE events; --";
    const def = {
      ...definition({ trait: { name: 'plan', in: ['pro'] } }),
      rule: { event: { type, where: { [key]: 'api' }, within: '7d', count: { gte: 1 } } },
    } as CohortDefinition;
    const { sql, params, rows } = await runs(def);
    expect(sql).not.toContain('DROP');
    expect(params).toContainEqual([type]);
    expect(params).toContain(key);
    expect(rows).toEqual([]);
    expect(await tableExists('events')).toBe(true);
  });

  it('refuses a property that is not filterable, naming the ones that are', () => {
    const parsed = CohortDefinition.safeParse({
      ...definition({ trait: { name: 'plan', in: ['pro'] } }),
      rule: { event: { type: 'login', where: { 'x; DROP': 'a' }, within: '7d', count: { gte: 1 } } },
    });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(/feature/);
  });
});
