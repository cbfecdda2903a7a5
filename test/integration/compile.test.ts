import { parseDefinition } from '../../src/cohorts/catalog';
import { compileCohort } from '../../src/cohorts/compile';
import { CohortDefinition, type Rule } from '../../src/cohorts/definition';
import { freshDatabase, type TestDatabase } from '../support/db';

const AS_OF = new Date('2026-03-01T00:00:00Z');
const DAY = 86_400_000;
const ago = (ms: number) => new Date(AS_OF.getTime() - ms);
const LONG_AGO = new Date('2025-01-01T00:00:00Z');

let test: TestDatabase;

interface CustomerSpec {
  plan?: string | null;
  country?: string | null;
  lifecycle_stage?: string | null;
  signup_at?: Date | null;
  first_seen_at?: Date;
}

async function addCustomer(id: string, spec: CustomerSpec = {}): Promise<void> {
  await test.db.query(
    `INSERT INTO customers (customer_id, plan, country, lifecycle_stage, signup_at, first_seen_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6)`,
    [id, spec.plan ?? null, spec.country ?? null, spec.lifecycle_stage ?? null, spec.signup_at ?? null, spec.first_seen_at ?? LONG_AGO],
  );
}

let eventNo = 0;
async function addEvent(customerId: string, type: string, occurredAt: Date, ingestedAt: Date = occurredAt): Promise<void> {
  eventNo += 1;
  await test.db.query(
    `INSERT INTO events (source, event_id, customer_id, event_type, occurred_at, ingested_at) VALUES ('events', $1, $2, $3, $4, $5)`,
    [`evt_${eventNo}`, customerId, type, occurredAt, ingestedAt],
  );
}

const cohort = (rule: Rule): CohortDefinition => CohortDefinition.parse({ id: 'spec-cohort', name: 'Spec', purpose: 'Compile specification', owner: 'qa', tier: 'tactical', rule });

/** Members among the customers whose id starts with `prefix` (each test has its own prefix). */
async function members(rule: Rule, prefix: string, asOf = AS_OF): Promise<string[]> {
  const { sql, params } = compileCohort(cohort(rule), asOf);
  const r = await test.db.query<{ customer_id: string }>(sql, params);
  return r.rows.map((x) => x.customer_id).filter((id) => id.startsWith(prefix)).sort();
}

const tableExists = async (name: string) => (await test.db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name])).rows[0]!.t !== null;

beforeAll(async () => {
  test = await freshDatabase('compile');
});

afterAll(async () => {
  await test.drop();
});

describe('compiling a cohort rule', () => {
  describe('combining conditions', () => {
    beforeAll(async () => {
      await addCustomer('cmb_pro_de', { plan: 'pro', country: 'DE' });
      await addCustomer('cmb_free_de', { plan: 'free', country: 'DE' });
      await addCustomer('cmb_pro_fr', { plan: 'pro', country: 'FR' });
    });
    const pro = { trait: { name: 'plan' as const, in: ['pro'] } };
    const germany = { trait: { name: 'country' as const, in: ['DE'] } };

    it('all: selects customers matching every condition', async () => {
      expect(await members({ all: [pro, germany] }, 'cmb_')).toEqual(['cmb_pro_de']);
    });

    it('any: selects customers matching at least one condition', async () => {
      expect(await members({ any: [{ trait: { name: 'plan', in: ['free'] } }, { trait: { name: 'country', in: ['FR'] } }] }, 'cmb_')).toEqual(['cmb_free_de', 'cmb_pro_fr']);
    });

    it('none: selects customers matching no condition', async () => {
      expect(await members({ none: [germany] }, 'cmb_')).toEqual(['cmb_pro_fr']);
    });

    it('nests: all of (pro, none of (DE))', async () => {
      expect(await members({ all: [pro, { none: [germany] }] }, 'cmb_')).toEqual(['cmb_pro_fr']);
    });
  });

  describe('event counts in a window', () => {
    const loginsIn7d = (count: { gte?: number; lte?: number }) => ({ event: { type: 'login', within: '7d', count } });

    it('excludes an event exactly at the window start', async () => {
      await addCustomer('win_start');
      await addEvent('win_start', 'login', ago(7 * DAY));

      expect(await members(loginsIn7d({ gte: 1 }), 'win_start')).toEqual([]);
    });

    it('includes an event just after the window start', async () => {
      await addCustomer('win_after_start');
      await addEvent('win_after_start', 'login', ago(7 * DAY - 1));

      expect(await members(loginsIn7d({ gte: 1 }), 'win_after_start')).toEqual(['win_after_start']);
    });

    it('includes an event exactly at asOf', async () => {
      await addCustomer('win_asof');
      await addEvent('win_asof', 'login', AS_OF);

      expect(await members(loginsIn7d({ gte: 1 }), 'win_asof')).toEqual(['win_asof']);
    });

    it('excludes an event just after asOf', async () => {
      await addCustomer('win_late');
      await addEvent('win_late', 'login', new Date(AS_OF.getTime() + 1), LONG_AGO);

      expect(await members(loginsIn7d({ gte: 1 }), 'win_late')).toEqual([]);
    });

    it('counts only events of the named type', async () => {
      await addCustomer('win_type');
      await addEvent('win_type', 'feature_used', ago(DAY));

      expect(await members(loginsIn7d({ gte: 1 }), 'win_type')).toEqual([]);
    });

    it('treats gte and lte as inclusive bounds', async () => {
      for (const n of [1, 2, 3, 4]) {
        await addCustomer(`win_bounds_${n}`);
        for (let k = 0; k < n; k += 1) await addEvent(`win_bounds_${n}`, 'login', ago((k + 1) * DAY));
      }

      expect(await members(loginsIn7d({ gte: 2, lte: 3 }), 'win_bounds_')).toEqual(['win_bounds_2', 'win_bounds_3']);
    });

    it('counts a customer without events as zero for an upper bound', async () => {
      await addCustomer('win_silent');

      expect(await members(loginsIn7d({ lte: 0 }), 'win_silent')).toEqual(['win_silent']);
    });
  });

  describe('point in time', () => {
    it('ignores an event ingested after asOf, even if it happened before', async () => {
      await addCustomer('pit_late_ingest');
      await addEvent('pit_late_ingest', 'login', ago(DAY), new Date(AS_OF.getTime() + 1));

      expect(await members({ event: { type: 'login', within: '7d', count: { gte: 1 } } }, 'pit_late_ingest')).toEqual([]);
    });

    it('counts an event ingested exactly at asOf', async () => {
      await addCustomer('pit_on_time');
      await addEvent('pit_on_time', 'login', ago(DAY), AS_OF);

      expect(await members({ event: { type: 'login', within: '7d', count: { gte: 1 } } }, 'pit_on_time')).toEqual(['pit_on_time']);
    });

    it('leaves out a customer first seen after asOf', async () => {
      await addCustomer('pit_new_customer', { plan: 'pro', first_seen_at: new Date(AS_OF.getTime() + 1) });

      expect(await members({ trait: { name: 'plan', in: ['pro'] } }, 'pit_new_customer')).toEqual([]);
    });

    it('gives the same members for an earlier asOf after newer events arrive', async () => {
      await addCustomer('pit_replay');
      await addEvent('pit_replay', 'login', ago(2 * DAY), ago(2 * DAY));
      const rule = { event: { type: 'login', within: '7d', count: { lte: 1 } } } as const;
      const before = await members(rule, 'pit_replay', ago(DAY));

      await addEvent('pit_replay', 'login', ago(DAY / 2), ago(DAY / 2));

      expect(await members(rule, 'pit_replay', ago(DAY))).toEqual(before);
      expect(await members(rule, 'pit_replay')).toEqual([]);
    });
  });

  describe('traits', () => {
    beforeAll(async () => {
      await addCustomer('trt_pro', { plan: 'pro', signup_at: ago(30 * DAY) });
      await addCustomer('trt_free', { plan: 'free', signup_at: ago(30 * DAY - 1) });
      await addCustomer('trt_unknown', { plan: null, signup_at: null });
      await addCustomer('trt_today', { plan: 'enterprise', signup_at: AS_OF });
      await addCustomer('trt_future', { plan: 'enterprise', signup_at: new Date(AS_OF.getTime() + DAY) });
    });

    it('in: selects customers whose trait is one of the values', async () => {
      expect(await members({ trait: { name: 'plan', in: ['pro', 'free'] } }, 'trt_')).toEqual(['trt_free', 'trt_pro']);
    });

    it('notIn: selects customers whose trait is known and none of the values', async () => {
      expect(await members({ trait: { name: 'plan', notIn: ['pro', 'free'] } }, 'trt_')).toEqual(['trt_future', 'trt_today']);
    });

    it('withinDays: selects signups after the window start up to and including asOf', async () => {
      expect(await members({ trait: { name: 'signup_at', withinDays: 30 } }, 'trt_')).toEqual(['trt_free', 'trt_today']);
    });

    it('none of (in): keeps a customer whose trait is unknown', async () => {
      expect(await members({ none: [{ trait: { name: 'plan', in: ['free'] } }] }, 'trt_')).toContain('trt_unknown');
    });
  });
});

describe('hostile input in a cohort rule', () => {
  beforeAll(async () => {
    await addCustomer('inj_victim', { plan: 'pro' });
  });

  it('passes trait values as parameters, so SQL in them matches nothing and runs nothing', async () => {
    const hostile = "pro'); DROP TABLE customers; --";
    const { sql, params } = compileCohort(cohort({ trait: { name: 'plan', in: [hostile] } }), AS_OF);

    expect(sql).not.toContain('DROP');
    expect(params).toContainEqual([hostile]);
    expect(await members({ trait: { name: 'plan', in: [hostile] } }, 'inj_')).toEqual([]);
    expect(await tableExists('customers')).toBe(true);
  });

  it('passes the event type as a parameter even when the schema is bypassed', async () => {
    const hostile = "login' OR 1=1; DROP TABLE events; --";
    const def = { ...cohort({ event: { type: 'login', within: '7d', count: { lte: 0 } } }), rule: { event: { type: hostile, within: '7d', count: { gte: 1 } } } } as CohortDefinition;
    const { sql, params } = compileCohort(def, AS_OF);

    expect(sql).not.toContain('DROP');
    expect(params).toContain(hostile);
    expect((await test.db.query(sql, params)).rows).toEqual([]);
    expect(await tableExists('events')).toBe(true);
  });

  it('rejects a definition whose event type carries SQL', () => {
    const text = `id: hostile
name: Hostile
purpose: p
owner: o
tier: tactical
rule:
  event: { type: "login'; DROP TABLE events; --", within: 7d, count: { gte: 1 } }
`;
    const { entry, problems } = parseDefinition('hostile.yaml', text);

    expect(entry).toBeUndefined();
    expect(problems).toEqual([expect.stringMatching(/^hostile\.yaml:\d+: rule/)]);
  });
});
