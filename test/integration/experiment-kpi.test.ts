import { ExperimentDefinition, type Kpi } from '../../src/experiments/experiment';
import { createExperiment } from '../../src/experiments/experiment-store';
import { armFigures } from '../../src/experiments/kpi-figures';
import { addCustomer } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { customerIds, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

// The KPI queries against a second evaluator: per-arm figures computed in SQL equal the same
// figures computed here from the rows the test wrote, for each kind of KPI, with events exactly
// on a window's borders and members whose window has not closed.

const DAY = 86_400_000;
const ASSIGNED = new Date('2026-09-01T12:00:00Z');
const LATE = new Date('2026-10-20T12:00:00Z');
const AS_OF = new Date('2026-10-25T00:00:00Z');
let test: TestDatabase;
let members: string[];
const events: { customer: string; type: string; at: Date; value: number | null; currency?: string }[] = [];
const EUR_PER_USD = 0.92;

async function start(id: string, kpi: Kpi) {
  const cohort = `${id}-cohort`;
  await recordVersion(test.db, cohort, 1, { tier: 'tactical' }, { author: 'dana' });
  const definition = ExperimentDefinition.parse({
    id,
    cohort,
    hypothesis: 'A reminder changes what customers do afterwards.',
    owner: 'lifecycle',
    salt: `salt-${id}-0001`,
    arms: [
      { id: 'holdout', share: 0.5, holdout: true },
      { id: 'reminder', share: 0.5 },
    ],
    kpi,
  });
  await createExperiment(test.db, { definition, createdBy: 'olga', rationale: 'kpi spec' });
  for (const [run, at, ids] of [
    [`${id}-early`, ASSIGNED, members.slice(0, 60)],
    [`${id}-late`, LATE, members.slice(60)],
  ] as const) {
    await registerRun(test.db, run, at.toISOString());
    const snapshot = await storeSnapshot(test.db, {
      runId: run,
      cohortId: cohort,
      version: 1,
      asOf: at.toISOString(),
      customerIds: [...ids],
    });
    await test.db.query('SELECT experiment_assign($1, $2, $3, $4)', [id, snapshot, run, at]);
  }
  const arms = await test.db.query<{ customer_id: string; arm: string; assigned_at: Date }>(
    'SELECT customer_id, arm, assigned_at FROM experiment_assignments WHERE experiment_id = $1',
    [id],
  );
  return { definition, arms: arms.rows };
}

/** The same figures, computed here from the rows written. */
function expected(
  arms: { customer_id: string; arm: string; assigned_at: Date }[],
  window: { from: number; until: number },
  value: (customer: string, from: Date, until: Date) => number,
) {
  return ['holdout', 'reminder'].map((arm) => {
    const inArm = arms.filter((a) => a.arm === arm);
    const measured = inArm.filter((a) => a.assigned_at.getTime() + window.until * DAY <= AS_OF.getTime());
    const values = measured.map((a) =>
      value(
        a.customer_id,
        new Date(a.assigned_at.getTime() + window.from * DAY),
        new Date(a.assigned_at.getTime() + window.until * DAY),
      ),
    );
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1);
    return { arm, assigned: inArm.length, measured: measured.length, values, mean, variance };
  });
}

const within = (at: Date, from: Date, until: Date) => at >= from && at < until;

beforeAll(async () => {
  test = await freshDatabase('experiment_kpi');
  members = customerIds('k', 1, 80);
  for (const id of members) await addCustomer(test.db, id);
  // Per member: a purchase at day 0 (the window's first instant), day 7 (exactly the end of a
  // 7-day window: outside) or day 3; payments in USD and EUR, a refund; a login on day 35.
  members.forEach((id, i) => {
    const at = (days: number) => new Date(ASSIGNED.getTime() + days * DAY);
    const n = i % 6;
    if (n === 0) events.push({ customer: id, type: 'purchase', at: at(0), value: null });
    if (n === 1) events.push({ customer: id, type: 'purchase', at: at(7), value: null });
    if (n === 2) events.push({ customer: id, type: 'purchase', at: at(3), value: null });
    if (n <= 2) events.push({ customer: id, type: 'invoice_paid', at: at(2), value: 10 + i });
    if (n === 3) events.push({ customer: id, type: 'invoice_paid', at: at(5), value: 46, currency: 'EUR' });
    if (n === 4) events.push({ customer: id, type: 'refund', at: at(6), value: 5 });
    if (i % 4 === 0) events.push({ customer: id, type: 'login', at: at(35), value: null });
  });
  for (const [i, e] of events.entries())
    await test.db.query(
      `INSERT INTO events (source, event_id, customer_id, event_type, occurred_at, ingested_at, value, properties)
       VALUES ('spec', $1, $2, $3, $4, $4, $5, $6)`,
      [`ev-${i}`, e.customer, e.type, e.at, e.value, e.currency ? { currency: e.currency } : {}],
    );
});
afterAll(() => test.drop());

describe('KPI figures per arm', () => {
  it('conversion: an event in [assigned, assigned + N days); late members counted in size only', async () => {
    const { definition, arms } = await start('conv', { kind: 'conversion', event: 'purchase', withinDays: 7 });
    const figures = await armFigures(test.db, definition, AS_OF);
    const want = expected(arms, { from: 0, until: 7 }, (c, from, until) =>
      events.some((e) => e.customer === c && e.type === 'purchase' && within(e.at, from, until)) ? 1 : 0,
    );
    expect(figures).toEqual(
      want.map((w) => ({
        arm: w.arm,
        assigned: w.assigned,
        measured: w.measured,
        successes: w.values.reduce((s, v) => s + v, 0),
      })),
    );
    expect(want.map((w) => w.assigned - w.measured).reduce((s, n) => s + n, 0)).toBe(20);
  });

  it('revenue: payments minus refunds in USD through fx_rates, 0 for none; mean and sample variance', async () => {
    const { definition, arms } = await start('rev', { kind: 'revenue', withinDays: 30 });
    const figures = await armFigures(test.db, definition, AS_OF);
    const usd = (e: (typeof events)[number]) =>
      (e.type === 'refund' ? -1 : 1) * (e.currency === 'EUR' ? e.value! / EUR_PER_USD : e.value!);
    const want = expected(arms, { from: 0, until: 30 }, (c, from, until) =>
      events
        .filter((e) => e.customer === c && ['invoice_paid', 'refund'].includes(e.type) && within(e.at, from, until))
        .reduce((s, e) => s + usd(e), 0),
    );
    for (const [i, w] of want.entries()) {
      expect(figures[i]).toMatchObject({ arm: w.arm, assigned: w.assigned, measured: w.measured });
      expect(figures[i]!.mean).toBeCloseTo(w.mean, 9);
      expect(figures[i]!.variance).toBeCloseTo(w.variance, 6);
    }
  });

  it('retention: any event in [assigned + afterDays, + windowDays)', async () => {
    const { definition, arms } = await start('ret', { kind: 'retention', afterDays: 30, windowDays: 14 });
    const figures = await armFigures(test.db, definition, AS_OF);
    const want = expected(arms, { from: 30, until: 44 }, (c, from, until) =>
      events.some((e) => e.customer === c && within(e.at, from, until)) ? 1 : 0,
    );
    expect(figures.map((f) => [f.arm, f.measured, f.successes])).toEqual(
      want.map((w) => [w.arm, w.measured, w.values.reduce((s, v) => s + v, 0)]),
    );
    expect(figures.reduce((s, f) => s + (f.successes ?? 0), 0)).toBeGreaterThan(0);
  });
});
