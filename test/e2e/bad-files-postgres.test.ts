import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { RefreshStatus } from '../../src/shared';
import { freshDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestSystem, TOKENS } from '../support/system';
import { devServerEnv } from '../support/temporal';

// A bad source file in a real refresh (API, worker, Temporal dev server, PostgreSQL server): by
// the source's badFiles policy the run reaches the gate with a warning naming the file, or fails
// at once naming it — never ten retries ending in "Activity task failed".

let temporal: TestWorkflowEnvironment;
let db: TestDatabase;
let h: Awaited<ReturnType<typeof startTestSystem>>;

beforeAll(async () => {
  temporal = await devServerEnv();
  db = await freshDatabase('e2e_bad_files');
  h = await startTestSystem({ temporalAddress: temporal.connection.options.address, databaseUrl: db.url });
});

afterAll(async () => {
  await h?.stop();
  await db?.drop();
  await temporal?.teardown();
});

const statusOf = (id: string) =>
  h.call('GET', `/refreshes/${id}`, TOKENS.viewer).then((r) => r.body as unknown as RefreshStatus);
const settled = (id: string) =>
  eventually(
    () => statusOf(id),
    (s) => s.stage === 'done' || s.stage === 'awaiting-approval',
    `run ${id} to end or wait at the gate`,
    180_000,
  );
const rows = (from: number, n: number) =>
  'event_id,user_id,anonymous_id,type,timestamp,properties\n' +
  Array.from({ length: n }, (_, i) => `bad-files-${from + i},u-bad,,login,2026-01-01T00:00:00Z,`).join('\n');

describe('a bad source file in a refresh', () => {
  it('with badFiles: warn, reaches the gate with a warning that names the file', async () => {
    const whole = zlib.gzipSync(rows(1, 500));
    fs.writeFileSync(path.join(h.sourceDir, 'product-0900.csv.gz'), whole.subarray(0, whole.length >> 1));
    const started = await h.call('POST', '/refreshes', TOKENS.operator, { tier: 'tactical', rationale: 'bad file' });
    expect(started.status).toBe(202);
    const id = started.body.workflowId as string;
    const s = await settled(id);

    expect(s.stage).toBe('awaiting-approval');
    expect(s.ingest).toMatchObject({
      filesQuarantined: 1,
      quarantinedFiles: [
        expect.objectContaining({
          source: 'product',
          file: 'product-0900.csv.gz',
          reason: 'truncated or corrupt gzip data: unexpected end of file (Z_BUF_ERROR)',
          skipped: false,
        }),
      ],
    });
    const product = s.ingest!.sources.find((x) => x.source === 'product')!;
    expect(product.checks.find((c) => c.name === 'bad_files')).toMatchObject({
      verdict: 'warn',
      reason: expect.stringMatching(/^product-0900\.csv\.gz quarantined: truncated or corrupt gzip data/),
    });
    expect(product.filesRead).toBeGreaterThan(0); // the demo's files after it were read
    const rejected = await h.call('POST', `/refreshes/${id}/reject`, TOKENS.approver, { comment: 'bad file seen' });
    expect(rejected.status).toBe(200);
    await eventually(
      () => statusOf(id),
      (x) => x.stage === 'done',
      'the rejected run to end',
    );
  });

  it('with badFiles: fail, fails in ingest at once naming the file and the reason', async () => {
    const sources = ['crm', 'billing', 'support'].map((kind) => `  - { name: ${kind}, kind: ${kind} }`);
    fs.writeFileSync(
      path.join(h.sourceDir, 'sources.yaml'),
      `sources:\n  - { name: product, kind: product, badFiles: fail }\n${sources.join('\n')}\n`,
    );
    fs.writeFileSync(path.join(h.sourceDir, 'product-0901.csv'), Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0, 0, 0, 0]));
    const started = await h.call('POST', '/refreshes', TOKENS.operator, { tier: 'tactical', rationale: 'bad file' });
    expect(started.status).toBe(202);
    const id = started.body.workflowId as string;
    const s = await settled(id);

    expect(s).toMatchObject({ outcome: 'failed', failedAt: 'ingest' });
    expect(s.failure).toContain(
      'source product: file product-0901.csv quarantined: not a text file: a NUL byte at byte offset 4',
    );
    expect(s.failure).not.toMatch(/Activity task failed/);
    // Not retried: the attempt that failed was the first.
    const events = (await temporal.client.workflow.getHandle(id).fetchHistory()).events!;
    const failed = events.find((e) => e.activityTaskFailedEventAttributes)!.activityTaskFailedEventAttributes!;
    const start = events.find((e) => Number(e.eventId) === Number(failed.startedEventId));
    expect(start?.activityTaskStartedEventAttributes?.attempt).toBe(1);
  });
});
