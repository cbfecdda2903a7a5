import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderRunQuarantine } from '../../src/cli/runs';
import { ingestSources } from '../../src/ingest/ingest-sources';
import { createLogger } from '../../src/log';
import type { RunQuarantine } from '../../src/shared';
import { testApi, type TestApi } from '../support/api';
import { freshDatabase, type TestDatabase } from '../support/db';
import { registerRun } from '../support/snapshot-data';

const TOKENS = { viewer: crypto.randomBytes(24).toString('hex'), operator: crypto.randomBytes(24).toString('hex') };
const event = (id: string) =>
  JSON.stringify({ event_id: id, user_id: 'u1', type: 'login', timestamp: '2026-11-20T10:00:00Z' });

let t: TestDatabase;
let dir: string;
let server: TestApi;
const long = `{"event_id":"long","note":"${'y'.repeat(100_000)}`; // never closed: bad JSON, 100 kB

beforeAll(async () => {
  t = await freshDatabase('quarantine_api');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-quarantine-api-'));
  fs.writeFileSync(path.join(dir, 'product-0001.csv'), Buffer.from([0x00, 0x01, 0x02, 0x0a]));
  fs.writeFileSync(
    path.join(dir, 'product-0002.ndjson'),
    Buffer.concat([Buffer.from(`${event('p1')}\n${long}\n`), Buffer.from([0x7b, 0xc3, 0x28, 0x7d, 0x0a])]),
  );
  await registerRun(t.db, 'run-q', '2026-11-21T00:00:00.000Z');
  await ingestSources(
    { db: t.db, log: createLogger('silent') },
    { runId: 'run-q', sourceDir: dir, now: new Date('2026-11-21T00:00:00Z') },
  );
  server = await testApi(
    { db: t.db, catalogDir: '/nonexistent' },
    {
      [TOKENS.viewer]: { user: 'vera', roles: ['viewer'] },
      [TOKENS.operator]: { user: 'olivia', roles: ['operator'] },
    },
  );
});

afterAll(async () => {
  await server.close();
  await t.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('GET /runs/:id/quarantine', () => {
  it("lists the run's quarantined files, then its rows with their full length and what was kept", async () => {
    const { status, body } = await server.call('GET', '/runs/run-q/quarantine', TOKENS.operator);
    expect(status).toBe(200);
    const q = body as unknown as RunQuarantine;
    expect(q.files).toEqual([
      expect.objectContaining({
        file: 'product-0001.csv',
        bytesRead: 4,
        rowsRead: 0,
        reason: expect.stringMatching(/^not a text file/),
      }),
    ]);
    expect(q.rowsTotal).toBe(2);
    expect(q.rows).toEqual([
      expect.objectContaining({ line: 2, rawLength: long.length, rawTruncated: true, rawBytesBase64: null }),
      {
        source: 'product',
        file: 'product-0002.ndjson',
        line: 3,
        reason: expect.stringMatching(/^not valid UTF-8 text: byte 0xc3 at byte offset/),
        raw: '{\\xc3(}',
        rawLength: 4,
        rawTruncated: false,
        rawBytesBase64: Buffer.from([0x7b, 0xc3, 0x28, 0x7d]).toString('base64'),
      },
    ]);
    expect(q.rows[0]!.raw.length).toBe(65_536);

    const printed = renderRunQuarantine(q);
    expect(printed[0]).toBe('run run-q: 1 file(s) and 2 row(s) quarantined');
    expect(printed.join('\n')).toMatch(
      new RegExp(`product-0002\\.ndjson\\s+2\\s+${long.length} \\(cut\\)\\s+not valid JSON`),
    );
  });

  it('keeps raw rows from viewers (they carry personal data)', async () => {
    expect((await server.call('GET', '/runs/run-q/quarantine', TOKENS.viewer)).status).toBe(403);
  });

  it('answers 404 for a run it does not know, and 400 for a limit out of range', async () => {
    expect((await server.call('GET', '/runs/run-none/quarantine', TOKENS.operator)).status).toBe(404);
    expect((await server.call('GET', '/runs/run-q/quarantine?limit=0', TOKENS.operator)).status).toBe(400);
  });
});
