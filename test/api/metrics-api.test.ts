import { appendAudit } from '../../src/data/audit';
import { addCustomer } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { customerIds, publish, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';
import { testApi, type TestApi } from '../support/api';

// /metrics for Prometheus: the installation's state read from PostgreSQL (runs, rows ingested,
// quarantine, published sizes, delivery lag, the audit chain) and from Temporal (health, open
// runs, approvals waiting). This API's Temporal is nowhere, so its figures say that too.

const VIEWER = 'metrics-viewer-token-0123';
let test: TestDatabase;
let api: TestApi;

/** One sample's value from the exposition text, e.g. value('cohortflow_runs', { outcome: 'published' }). */
function value(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((w) => have.includes(w)) && have.length === wanted.length) return Number(m[3]);
  }
  return undefined;
}

beforeAll(async () => {
  test = await freshDatabase('metrics_api');
  const db = test.db;
  for (const id of customerIds('m', 1, 5)) await addCustomer(db, id);
  await recordVersion(db, 'payers', 1, { id: 'payers', tier: 'tactical' }, { author: 'rita' });
  await registerRun(db, 'run-1', '2026-03-01T00:00:00Z');
  await registerRun(db, 'run-2', '2026-04-01T00:00:00Z');
  await registerRun(db, 'run-3', '2026-05-01T00:00:00Z');
  await db.query(`UPDATE runs SET outcome = 'published' WHERE run_id IN ('run-1', 'run-2')`);
  await db.query(`UPDATE runs SET outcome = 'failed' WHERE run_id = 'run-3'`);
  await publish(
    db,
    await storeSnapshot(db, {
      runId: 'run-1',
      cohortId: 'payers',
      version: 1,
      asOf: '2026-03-01T00:00:00Z',
      customerIds: customerIds('m', 1, 3),
    }),
  );
  await publish(
    db,
    await storeSnapshot(db, {
      runId: 'run-2',
      cohortId: 'payers',
      version: 1,
      asOf: '2026-04-01T00:00:00Z',
      customerIds: customerIds('m', 1, 5),
    }),
  );
  for (const [run, rows, stored, duplicates, quarantined] of [
    ['run-1', 100, 90, 5, 5],
    ['run-2', 50, 40, 0, 10],
  ] as const) {
    await db.query(
      `INSERT INTO source_ingests (run_id, source, rows_read, stored, duplicates, quarantined, null_keys, checks, at)
       VALUES ($1, 'crm', $2, $3, $4, $5, 0, '[]', now() - make_interval(days => $6))`,
      [run, rows, stored, duplicates, quarantined, run === 'run-1' ? 2 : 1],
    );
  }
  await appendAudit(db, { key: 'metrics-1', runId: 'run-1', actor: 'rita', action: 'run.started', details: {} });
  await appendAudit(db, { key: 'metrics-2', runId: 'run-1', actor: 'rita', action: 'run.published', details: {} });
  api = await testApi({ db, catalogDir: '/nonexistent' }, { [VIEWER]: { user: 'vera', roles: ['viewer'] } });
});

afterAll(async () => {
  await api.close();
  await test.drop();
});

describe('/metrics', () => {
  it("needs a token: the figures are the business's", async () => {
    expect((await api.call('GET', '/metrics', null)).status).toBe(401);
  });

  it('reports runs, rows ingested, quarantine, published sizes and the audit chain from PostgreSQL', async () => {
    const answer = await api.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${VIEWER}` },
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = answer.body;
    expect(value(text, 'cohortflow_runs', { outcome: 'published' })).toBe(2);
    expect(value(text, 'cohortflow_runs', { outcome: 'failed' })).toBe(1);
    expect(value(text, 'cohortflow_ingested_rows', { source: 'crm', result: 'stored' })).toBe(130);
    expect(value(text, 'cohortflow_ingested_rows', { source: 'crm', result: 'quarantined' })).toBe(15);
    // The latest ingest of the source: 10 of 50 rows.
    expect(value(text, 'cohortflow_quarantine_ratio', { source: 'crm' })).toBeCloseTo(0.2);
    expect(value(text, 'cohortflow_cohort_members', { cohort: 'payers' })).toBe(5);
    expect(value(text, 'cohortflow_audit_chain_intact')).toBe(1);
    expect(value(text, 'cohortflow_audit_chain_rows')).toBe(2);
  });

  it('says Temporal and the worker are missing, and leaves out what only Temporal knows', async () => {
    const answer = await api.app.inject({
      method: 'GET',
      url: '/metrics',
      headers: { authorization: `Bearer ${VIEWER}` },
    });
    expect(value(answer.body, 'cohortflow_health', { check: 'postgres' })).toBe(1);
    expect(value(answer.body, 'cohortflow_health', { check: 'temporal' })).toBe(0);
    expect(value(answer.body, 'cohortflow_health', { check: 'worker' })).toBe(0);
    expect(value(answer.body, 'cohortflow_metrics_reading_ok', { reading: 'open runs' })).toBe(0);
    expect(value(answer.body, 'cohortflow_metrics_reading_ok', { reading: 'cohorts' })).toBe(1);
  });
});
