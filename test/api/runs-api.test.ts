import crypto from 'node:crypto';
import { testRunAgainstBaselines } from '../../src/baseline/baseline-run';
import type { SourceReport } from '../../src/shared';
import { addCustomer } from '../support/cohort-data';
import { testApi, type TestApi } from '../support/api';
import { freshDatabase, type TestDatabase } from '../support/db';
import { customerIds, publish, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

const TOKENS = { viewer: crypto.randomBytes(24).toString('hex'), operator: crypto.randomBytes(24).toString('hex') };
const PUBLISHED_AS_OF = '2026-02-01T00:00:00.000Z';
const AS_OF = '2026-03-01T00:00:00.000Z';
const SOURCES: SourceReport[] = [
  {
    source: 'billing',
    kind: 'billing',
    verdict: 'pass',
    filesRead: 1,
    filesSkipped: 0,
    rowsRead: 10,
    stored: 10,
    duplicates: 0,
    quarantined: 0,
    checks: [],
  },
  {
    source: 'crm',
    kind: 'crm',
    verdict: 'warn',
    filesRead: 1,
    filesSkipped: 0,
    rowsRead: 10,
    stored: 9,
    duplicates: 0,
    quarantined: 1,
    checks: [
      {
        name: 'quarantine_rate',
        verdict: 'warn',
        reason: '1 of 10 rows quarantined (10%)',
        figures: { pct: 10 },
        thresholds: { warnPct: 1, failPct: 20 },
      },
    ],
  },
];

let test: TestDatabase;
let server: TestApi;

const call = async (route: string, token: string | null = TOKENS.viewer) => {
  const { status, body } = await server.call('GET', route, token);
  return { status, body };
};

beforeAll(async () => {
  test = await freshDatabase('runs_api');
  for (const id of customerIds('c', 1, 20)) await addCustomer(test.db, id, { plan: 'pro' });
  await recordVersion(
    test.db,
    'payers',
    1,
    { id: 'payers', tier: 'strategic', checks: { minSize: 1, sizeShiftWarnPct: 20, sizeShiftFailPct: 50 } },
    { author: 'ana' },
  );
  await registerRun(test.db, 'run-feb', PUBLISHED_AS_OF);
  await publish(
    test.db,
    await storeSnapshot(test.db, {
      runId: 'run-feb',
      cohortId: 'payers',
      version: 1,
      asOf: PUBLISHED_AS_OF,
      customerIds: customerIds('c', 1, 20),
    }),
  );
  await registerRun(test.db, 'run-mar', AS_OF);
  const snapshotId = await storeSnapshot(test.db, {
    runId: 'run-mar',
    cohortId: 'payers',
    version: 1,
    asOf: AS_OF,
    customerIds: customerIds('c', 1, 15),
  });
  await testRunAgainstBaselines(test.db, { runId: 'run-mar', snapshotIds: [snapshotId], sources: SOURCES });
  await registerRun(test.db, 'run-apr', '2026-04-01T00:00:00.000Z');

  server = await testApi(
    { db: test.db, catalogDir: '/nonexistent' },
    {
      [TOKENS.viewer]: { user: 'vera', roles: ['viewer'] },
      [TOKENS.operator]: { user: 'olivia', roles: ['operator'] },
    },
  );
});

afterAll(async () => {
  await server.close();
  await test.drop();
});

describe('GET /runs/:id/report', () => {
  it('refuses a request without a token, and a caller without the viewer role', async () => {
    expect((await call('/runs/run-mar/report', null)).status).toBe(401);
    const forbidden = await call('/runs/run-mar/report', TOKENS.operator);
    expect(forbidden).toEqual({ status: 403, body: { error: 'forbidden', message: 'olivia lacks the viewer role' } });
  });

  it('gives a viewer the whole report: sources on top, every check of every cohort', async () => {
    const { status, body } = await call('/runs/run-mar/report');

    expect(status).toBe(200);
    expect(body).toMatchObject({ runId: 'run-mar', asOf: AS_OF, sources: SOURCES });
    expect(body.cohorts).toEqual([
      expect.objectContaining({
        cohortId: 'payers',
        tier: 'strategic',
        verdict: 'warn',
        comparedTo: { snapshotId: expect.stringMatching(/^snap_/), version: 1 },
        baseline: { snapshots: 1 },
        changedBy: [],
      }),
    ]);
    const checks = body.cohorts[0].checks as Array<{ name: string; subject?: string; verdict: string }>;
    expect(checks.map((c) => (c.subject ? `${c.name}:${c.subject}` : c.name))).toEqual([
      'min_size',
      'empty',
      'size_shift',
      'size_vs_baseline',
      'churn',
      'blast_radius',
      'drift:plan',
      'drift:country',
      'drift:lifecycle_stage',
      'drift:tenure',
      'drift:rfm',
      'value_shift',
      'definition_change',
    ]);
    expect(checks.find((c) => c.name === 'churn')).toMatchObject({
      verdict: 'warn',
      figures: { jaccard: 0.75, removes: 5 },
    });
  });

  it('answers a known run without a report yet with empty lists', async () => {
    expect(await call('/runs/run-apr/report')).toEqual({
      status: 200,
      body: { runId: 'run-apr', asOf: '2026-04-01T00:00:00.000Z', sources: [], cohorts: [] },
    });
  });

  it('answers 404 for a run it does not know', async () => {
    expect(await call('/runs/run-unknown/report')).toEqual({
      status: 404,
      body: { error: 'not_found', message: 'no run "run-unknown"' },
    });
  });

  it('answers 400 with the path for a malformed run id', async () => {
    const { status, body } = await call(`/runs/${encodeURIComponent('no such run!')}/report`);
    expect(status).toBe(400);
    expect(body.issues[0].path).toBe('id');
  });
});
