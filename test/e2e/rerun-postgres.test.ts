import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RefreshStatus } from '../../src/shared';
import type { RunSummary } from '../../src/temporal/run-list';
import { generateSources } from '../../src/sources/generate';
import { freshDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestSystem, TOKENS } from '../support/system';
import { devServerEnv } from '../support/temporal';

// A run that fails on an invalid definition, the definition fixed, and `refresh rerun` through
// the API: the re-run reuses the failed run's ingest (which consumed the files), computes with
// the fixed catalog and publishes, linked to the run it repeats.

const CATALOG = path.resolve(__dirname, '../../catalog');

let temporal: TestWorkflowEnvironment;
let db: TestDatabase;
let h: Awaited<ReturnType<typeof startTestSystem>>;
let catalogDir: string;

beforeAll(async () => {
  catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-rerun-catalog-'));
  fs.cpSync(CATALOG, catalogDir, { recursive: true });
  temporal = await devServerEnv();
  db = await freshDatabase('e2e_rerun');
  h = await startTestSystem({
    temporalAddress: temporal.connection.options.address,
    databaseUrl: db.url,
    env: { COHORTFLOW_CATALOG_DIR: catalogDir },
  });
});

afterAll(async () => {
  await h?.stop();
  await db?.drop();
  await temporal?.teardown();
  fs.rmSync(catalogDir, { recursive: true, force: true });
});

const statusOf = (id: string) =>
  h.call('GET', `/refreshes/${id}`, TOKENS.viewer).then((r) => r.body as unknown as RefreshStatus);
const ended = (id: string) =>
  eventually(
    () => statusOf(id),
    (s) => s.stage === 'done' || s.stage === 'awaiting-approval',
    `run ${id} to end or wait at the gate`,
    180_000,
  );

describe('re-running a run that failed on an invalid definition (PostgreSQL server, Temporal dev server)', () => {
  const file = () => path.join(catalogDir, 'feature-adopters.yaml');
  let failed: string;
  let original: string;

  it('fails the run with the definition’s own message, as a failed execution', async () => {
    original = fs.readFileSync(file(), 'utf8');
    fs.writeFileSync(file(), original.replace(/^tier: tactical$/m, 'tier: weekly'));
    const started = await h.call('POST', '/refreshes', TOKENS.operator, { tier: 'tactical', rationale: 'rerun check' });
    expect(started.status).toBe(202);
    failed = started.body.workflowId as string;
    const s = await ended(failed);
    expect(s).toMatchObject({ outcome: 'failed', failedAt: 'compute' });
    expect(s.failure).toMatch(/feature-adopters\.yaml/);
    expect(s.failure).not.toMatch(/Activity task failed/);
    const described = await temporal.client.workflow.getHandle(failed).describe();
    expect(described.status.name).toBe('FAILED');
    const list = await eventually(
      () => h.call('GET', '/refreshes?outcome=failed', TOKENS.viewer),
      (r) => (r.body.runs as RunSummary[]).some((run) => run.runId === failed),
      'the failed run in the runs list',
    );
    expect((list.body.runs as RunSummary[]).find((run) => run.runId === failed)?.failure).toBe(s.failure);
  });

  it('re-runs it from compute once the definition is fixed, and the re-run publishes', async () => {
    fs.writeFileSync(file(), original);
    const rerun = await h.call('POST', `/refreshes/${failed}/rerun`, TOKENS.operator, {});
    expect(rerun.status).toBe(202);
    expect(rerun.body).toMatchObject({ rerunOf: failed, from: 'compute' });
    const id = rerun.body.workflowId as string;
    let s = await ended(id);
    expect(s.rerunOf).toEqual({ runId: failed, from: 'compute' });
    expect(s.ingest?.rowsRead).toBeGreaterThan(0);
    if (s.stage === 'awaiting-approval') {
      const approved = await h.call('POST', `/refreshes/${id}/approve`, TOKENS.approver, { comment: 'fixed' });
      expect(approved.status).toBe(200);
      s = await eventually(
        () => statusOf(id),
        (x) => x.stage === 'done',
        'the re-run to publish',
        180_000,
      );
    }
    expect(s.outcome).toBe('published');
    const audit = (await h.call('GET', `/audit?run=${failed}`, TOKENS.viewer)).body.entries as Array<{
      action: string;
    }>;
    expect(audit.map((e) => e.action)).toContain('run.rerun');
  });

  it('refuses to re-run a run that published', async () => {
    const runs = (await h.call('GET', '/refreshes?outcome=published', TOKENS.viewer)).body.runs as RunSummary[];
    const answer = await h.call('POST', `/refreshes/${runs[0]!.runId}/rerun`, TOKENS.operator, {});
    expect(answer).toMatchObject({ status: 409, body: { error: 'rerun_refused' } });
  });
});

describe('re-running a run that failed its data-quality checks, once new data has come', () => {
  /** Two days of product events (another seed), written into the system's source folder as `name`. */
  async function newProductFile(name: string, seed: number, garbage = 0): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-rerun-batch-'));
    await generateSources(dir, { customers: 200, days: 2, seed, badRowRate: 0 });
    // Only signed-in users' events: a short window of new signups is mostly anonymous browsing,
    // which the null-rate check would judge, and this test is about the quarantine rate.
    const lines = fs
      .readFileSync(path.join(dir, 'product-0001.ndjson'), 'utf8')
      .trimEnd()
      .split('\n')
      .filter((l) => /"user_id":"/.test(l));
    const bad = Array.from({ length: garbage }, (_, i) => `not an event ${i}`);
    fs.writeFileSync(path.join(h.sourceDir, name), [...lines, ...bad].join('\n') + '\n');
    fs.rmSync(dir, { recursive: true, force: true });
  }

  it('stops a run whose new batch is half garbage, then re-runs it from ingest over the next batch', async () => {
    await newProductFile('product-0101.ndjson', 8, 400);
    const started = await h.call('POST', '/refreshes', TOKENS.operator, { tier: 'tactical', rationale: 'bad batch' });
    expect(started.status).toBe(202);
    const failed = started.body.workflowId as string;
    const s = await ended(failed);
    expect(s).toMatchObject({ outcome: 'failed', failedAt: 'ingest' });
    expect(s.failure).toMatch(/^data quality failed before compute — product: .*quarantined/);

    await newProductFile('product-0102.ndjson', 9);
    const rerun = await h.call('POST', `/refreshes/${failed}/rerun`, TOKENS.operator, {});
    expect(rerun.status).toBe(202);
    expect(rerun.body).toMatchObject({ rerunOf: failed, from: 'ingest' });
    const again = await ended(rerun.body.workflowId as string);
    expect(again.failure).toBeUndefined();
    expect(again.outcome).not.toBe('failed');
    expect(again.ingest?.sources.find((x) => x.source === 'product')).toMatchObject({ filesRead: 1 });
    expect(again.ingest?.sources.every((x) => x.verdict !== 'fail')).toBe(true);
  });
});
