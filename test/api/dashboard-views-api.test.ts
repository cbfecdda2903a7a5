import crypto from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { deliverCohort } from '../../src/activities/publish';
import { testRunAgainstBaselines } from '../../src/baseline/baseline-run';
import { appendAudit } from '../../src/data/audit';
import type { Destination } from '../../src/destinations/destination';
import { parseDestinations } from '../../src/destinations/destinations-file';
import { createLogger } from '../../src/log';
import { testApi, type TestApi } from '../support/api';
import { addCustomer, addEvent } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { startDeliveryReceiver } from '../support/delivery-receiver';
import { customerIds, publish, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

// The read routes behind the dashboard's pages, on a real database: sizes over every version,
// drift beside KPIs of the members, a sample of members, a run's timeline, audit filters, and
// where each destination stands.

const SECRET = `whsec_${crypto.randomBytes(24).toString('base64')}`;
const VIEWER = crypto.randomBytes(24).toString('hex');
const V1_AS_OF = '2026-02-01T00:00:00.000Z';
const V2_AS_OF = '2026-03-01T00:00:00.000Z';

let test: TestDatabase;
let api: TestApi;
let receiver: Awaited<ReturnType<typeof startDeliveryReceiver>>;
let destinations: Destination[];

const get = async (route: string) => {
  const r = await api.call('GET', route, VIEWER);
  expect([route, r.status]).toEqual([route, 200]);
  return r.body;
};

beforeAll(async () => {
  test = await freshDatabase('dashboard_views');
  for (const [i, id] of customerIds('c', 1, 10).entries())
    await addCustomer(test.db, id, { plan: i < 6 ? 'pro' : 'basic', country: 'DE', consent_marketing: id !== 'c008' });
  // Version 1's window (Jan 2 – Feb 1]: c001 converts; c002 pays $100, c003 pays €92 ($100) and gets €46 ($50) back.
  await addEvent(test.db, 'c001', 'subscription_started', '2026-01-20T10:00:00Z');
  await addEvent(test.db, 'c002', 'invoice_paid', '2026-01-25T10:00:00Z', {
    value: 100,
    properties: { currency: 'USD' },
  });
  await addEvent(test.db, 'c003', 'invoice_paid', '2026-01-28T10:00:00Z', {
    value: 92,
    properties: { currency: 'EUR' },
  });
  await addEvent(test.db, 'c003', 'refund', '2026-01-30T10:00:00Z', { value: 46, properties: { currency: 'EUR' } });
  // After version 1 (and before version 2): c004 cancels.
  await addEvent(test.db, 'c004', 'subscription_cancelled', '2026-02-10T10:00:00Z');
  await test.db.query("INSERT INTO source_watermarks (source, watermark) VALUES ('billing', '2026-03-11T00:00:00Z')");

  await recordVersion(
    test.db,
    'loyal',
    1,
    { id: 'loyal', tier: 'tactical', destinations: ['crm'] },
    { author: 'dana' },
  );
  await registerRun(test.db, 'run-feb', V1_AS_OF);
  const v1 = await storeSnapshot(test.db, {
    runId: 'run-feb',
    cohortId: 'loyal',
    version: 1,
    asOf: V1_AS_OF,
    customerIds: customerIds('c', 1, 10),
  });
  await publish(test.db, v1);
  await registerRun(test.db, 'run-mar', V2_AS_OF);
  const v2 = await storeSnapshot(test.db, {
    runId: 'run-mar',
    cohortId: 'loyal',
    version: 1,
    asOf: V2_AS_OF,
    customerIds: [...customerIds('c', 1, 8)],
  });
  await testRunAgainstBaselines(test.db, { runId: 'run-mar', snapshotIds: [v2], sources: [] });

  receiver = await startDeliveryReceiver(SECRET);
  destinations = await parseDestinations(
    'destinations.yaml',
    `destinations:\n  - name: crm\n    kind: webhook\n    purpose: marketing\n    url: ${receiver.url}\n    secretsEnv: [CRM_SECRET]\n    allowPrivateNetwork: true\n`,
    { CRM_SECRET: SECRET },
  );
  const deliver = (runId: string) =>
    new MockActivityEnvironment().run(
      deliverCohort,
      { db: test.db, log: createLogger('silent'), sourceDir: '', catalogDir: '', destinations },
      { runId, cohortId: 'loyal' },
    );
  await deliver('run-feb');
  // Version 2 is published but not delivered yet: the destination is behind.
  await publish(test.db, v2, 'arthur');

  for (const [key, action, actor, details] of [
    ['run:run-mar:started', 'run.started', 'rita', {}],
    ['k-ingest', 'stage.ingest', 'cohortflow', {}],
    ['k-compute', 'stage.compute', 'cohortflow', { cohorts: [{ cohortId: 'loyal' }] }],
    ['k-tests', 'stage.baseline-test', 'cohortflow', { verdicts: { loyal: 'warn' } }],
    ['k-gate', 'approval.requested', 'cohortflow', { cohorts: [{ cohortId: 'loyal' }] }],
    ['k-approve', 'decision.approved', 'arthur', { cohorts: ['loyal'], comment: 'fine' }],
  ] as const)
    await appendAudit(test.db, { key, runId: 'run-mar', actor, action, details });
  await appendAudit(test.db, {
    key: 'other',
    runId: 'run-feb',
    actor: 'bob',
    action: 'decision.rejected',
    details: { cohorts: ['other'] },
  });

  api = await testApi({ db: test.db, catalogDir: '' }, { [VIEWER]: { user: 'vera', roles: ['viewer'] } }, destinations);
});

afterAll(async () => {
  await api.close();
  await receiver.close();
  await test.drop();
});

describe('GET /cohorts/:id/sizes', () => {
  it('gives the size of every published version, oldest first, with adds and removes', async () => {
    const body = await get('/cohorts/loyal/sizes');
    expect(body.versions).toEqual([
      expect.objectContaining({
        version: 1,
        runId: 'run-feb',
        asOf: V1_AS_OF,
        size: 10,
        adds: 10,
        removes: 0,
        rollback: false,
      }),
      expect.objectContaining({
        version: 2,
        runId: 'run-mar',
        asOf: V2_AS_OF,
        size: 8,
        adds: 0,
        removes: 2,
        rollback: false,
      }),
    ]);
  });

  it('is empty for a cohort that never published', async () => {
    expect((await get('/cohorts/nothing-yet/sizes')).versions).toEqual([]);
  });
});

describe('GET /published', () => {
  it("gives each cohort's latest published version with its size", async () => {
    expect((await get('/published')).cohorts).toEqual([
      { cohortId: 'loyal', version: 2, size: 8, publishedAt: expect.any(String), runId: 'run-mar' },
    ]);
  });
});

describe('GET /cohorts/:id/trends', () => {
  it('computes the KPIs of each version’s members over the 30 days before and after its asOf', async () => {
    const body = await get('/cohorts/loyal/trends');
    expect(body.dataUntil).toBe('2026-03-11T00:00:00.000Z');
    expect(body.definitions.map((d: { name: string }) => d.name)).toEqual(['conversion', 'revenuePerMember', 'churn']);
    const [v1, v2] = body.versions;
    expect(v1).toMatchObject({
      version: 1,
      members: 10,
      before: { conversion: 0.1, revenuePerMember: 15, churn: 0 },
      after: { conversion: 0, revenuePerMember: 0, churn: 0.1, observedDays: 30 },
      drift: [],
    });
    // c004's cancellation falls in version 2's window before its asOf; ten days after it are observed.
    expect(v2).toMatchObject({
      version: 2,
      members: 8,
      before: { conversion: 0, revenuePerMember: 0, churn: 0.125 },
      after: { churn: 0, observedDays: 10 },
    });
  });

  it('carries the drift its baseline tests measured, per attribute', async () => {
    const v2 = (await get('/cohorts/loyal/trends')).versions[1];
    expect(v2.drift.map((d: { dimension: string }) => d.dimension)).toEqual([
      'plan',
      'country',
      'lifecycle_stage',
      'tenure',
      'rfm',
    ]);
    const plan = v2.drift[0];
    // 6 pro + 4 basic published, 6 pro + 2 basic now: the plan mix moved.
    expect(plan.psi).toBeGreaterThan(0);
    expect(v2.drift.find((d: { dimension: string }) => d.dimension === 'country').psi).toBe(0);
  });
});

describe('GET /cohorts/:id/members', () => {
  it('samples the current published version’s members', async () => {
    expect(await get('/cohorts/loyal/members?sample=3')).toEqual({
      cohortId: 'loyal',
      version: 2,
      snapshotId: expect.stringMatching(/^snap_/),
      size: 8,
      sample: ['c001', 'c002', 'c003'],
    });
  });

  it('answers 404 for a cohort with nothing published', async () => {
    expect((await api.call('GET', '/cohorts/nothing-yet/members', VIEWER)).status).toBe(404);
  });
});

describe('GET /runs/:id/timeline', () => {
  it('shows the stages done, the gate still open, and what compute stored', async () => {
    const body = await get('/runs/run-mar/timeline');
    expect(body.stages.map((s: { stage: string; state: string }) => `${s.stage}:${s.state}`)).toEqual([
      'ingest:done',
      'compute:done',
      'baseline-test:done',
      'awaiting-approval:running',
      'publish:not-reached',
    ]);
    expect(body.progress).toEqual({ sourcesIngested: 0, cohortsPlanned: 0, cohortsComputed: 0, reportsStored: 1 });
  });

  it('answers 404 for a run never recorded', async () => {
    expect((await api.call('GET', '/runs/refresh-nope/timeline', VIEWER)).status).toBe(404);
  });
});

describe('GET /audit with filters', () => {
  const actions = async (query: string) =>
    ((await get(`/audit?${query}`)).entries as Array<{ action: string }>).map((e) => e.action);

  it('narrows the trail by run, cohort, actor and action family', async () => {
    expect(await actions('run=run-feb')).toEqual(['decision.rejected']);
    expect(await actions('actor=arthur')).toEqual(['decision.approved']);
    expect(await actions('action=decision')).toEqual(['decision.approved', 'decision.rejected']);
    expect(await actions('cohort=loyal&run=run-mar')).toEqual([
      'stage.compute',
      'approval.requested',
      'decision.approved',
    ]);
    expect(await actions('cohort=other')).toEqual(['decision.rejected']);
  });

  it('refuses a malformed action with the field named', async () => {
    const bad = await api.call('GET', '/audit?action=DROP%20TABLE', VIEWER);
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0].path).toBe('action');
  });
});

describe('GET /deliveries', () => {
  it('shows each destination’s cursor against the published version, and what its delivery held back', async () => {
    const body = await get('/deliveries');
    expect(body.destinations).toEqual([
      {
        name: 'crm',
        kind: 'webhook',
        purpose: 'marketing',
        configured: true,
        disabled: null,
        cohorts: [
          expect.objectContaining({
            cohortId: 'loyal',
            publishedVersion: 2,
            cursor: expect.objectContaining({ version: 1 }),
            behind: true,
            pendingDeliveries: 0,
            pendingBatches: 0,
            // c008 gave no marketing consent.
            lastDelivery: expect.objectContaining({ version: 1, status: 'acknowledged', heldBack: 1 }),
          }),
        ],
      },
    ]);
  });

  it('lists a disabled destination with its reason', async () => {
    await test.db.query(
      "INSERT INTO destination_state (destination, disabled_at, reason) VALUES ('crm', now(), '410 Gone from the receiver')",
    );
    const [crm] = (await get('/deliveries')).destinations;
    expect(crm.disabled).toEqual({ at: expect.any(String), reason: '410 Gone from the receiver' });
    await test.db.query("DELETE FROM destination_state WHERE destination = 'crm'");
  });
});
