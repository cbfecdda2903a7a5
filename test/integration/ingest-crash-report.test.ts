import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { ingestSources } from '../../src/ingest/ingest-sources';
import { createLogger } from '../../src/log';
import type { IngestSummary } from '../../src/shared';
import { freshDatabase, type TestDatabase } from '../support/db';

const log = createLogger('silent');
const NOW = new Date('2026-11-21T00:00:00Z');
const HEADER = 'event_id,user_id,anonymous_id,type,timestamp,properties\n';
/** Product rows ids from..from+n-1 at that hour; every third by an anonymous id only (a null key), every seventh bad. */
const productCsv = (from: number, n: number, hour: (i: number) => number) =>
  HEADER +
  Array.from({ length: n }, (_, i) => {
    const id = from + i;
    const at = `2026-11-20T${String(hour(i)).padStart(2, '0')}:00:00Z`;
    if (id % 7 === 0) return `p${id},u1,,Not A Type,${at},`;
    return id % 3 === 0 ? `p${id},,a${id},login,${at},` : `p${id},u1,,login,${at},`;
  }).join('\n') +
  '\n';

describe('ingest reports after a crash', () => {
  let dir: string;
  const dbs: TestDatabase[] = [];
  const fresh = async () => {
    const t = await freshDatabase('ingest_crash');
    dbs.push(t);
    return t;
  };
  const ingest = (t: TestDatabase, heartbeat?: Parameters<typeof ingestSources>[1]['heartbeat']) =>
    ingestSources(
      { db: t.db, log },
      { runId: 'run-x', sourceDir: dir, now: NOW, chunkRows: 10, loaders: 1, heartbeat },
    );
  const stored = async (t: TestDatabase) =>
    (
      await t.db.query(
        `SELECT source, rows_read, stored, duplicates, quarantined, erased, null_keys, newest_event, checks FROM source_ingests ORDER BY source`,
      )
    ).rows;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-crash-'));
    const write = (name: string, content: string | Buffer) => fs.writeFileSync(path.join(dir, name), content);
    write(
      'crm-0001.ndjson',
      `${JSON.stringify({ crm_id: 'c1', product_user_id: 'u1', updated_at: '2026-11-01T00:00:00Z' })}\n`,
    );
    const cut = zlib.gzipSync(productCsv(1000, 200, () => 9));
    write('product-0000.csv.gz', cut.subarray(0, Math.floor(cut.length * 0.6))); // quarantined, some rows read
    write(
      'product-0001.csv',
      productCsv(1, 35, () => 10),
    );
    // The newest rows are in the second file's first chunk: the watermark must not depend on where it died.
    write(
      'product-0002.csv',
      productCsv(100, 35, (i) => (i < 10 ? 12 : 8)),
    );
  });
  afterAll(async () => {
    for (const t of dbs) await t.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports an attempt retried after some files were finished exactly as a clean run', async () => {
    const clean = await fresh();
    const expected = await ingest(clean);

    const crashed = await fresh();
    // The worker dies after product-0000 was quarantined, product-0001 finished and two chunks of
    // product-0002 committed; Temporal runs the activity again with the same run id.
    let chunks = 0;
    const dying = ingest(crashed, (d) => {
      if (d.file === 'product-0002.csv' && d.chunk && ++chunks === 2) throw new Error('worker killed');
    });
    await expect(dying).rejects.toThrow('worker killed');
    const retried = await ingest(crashed);

    expect(retried).toEqual(expected);
    expect(await stored(crashed)).toEqual(await stored(clean));
    const product = (s: IngestSummary) => s.sources.find((r) => r.source === 'product')!;
    expect(product(retried)).toMatchObject({ filesRead: 2, filesSkipped: 0, filesQuarantined: 1 });
    expect(product(retried).rowsRead).toBeGreaterThan(70);
    expect(retried.quarantinedFiles).toEqual([
      expect.objectContaining({ file: 'product-0000.csv.gz', runId: 'run-x', skipped: false }),
    ]);
    expect(retried.watermarks.product).toBe('2026-11-20T12:00:00.000Z');
  });

  it('still reports the files of earlier runs as skipped, a file quarantined before among them, with nothing read', async () => {
    const t = await fresh();
    await ingest(t);
    const next = await ingestSources({ db: t.db, log }, { runId: 'run-y', sourceDir: dir, now: NOW });
    expect(next).toMatchObject({ filesRead: 0, filesSkipped: 4, filesQuarantined: 0, rowsRead: 0 });
    const volume = next.sources.find((r) => r.source === 'product')!.checks.find((c) => c.name === 'volume');
    expect(volume?.reason).toBe('no new valid rows in this ingest; cohorts are computed over the data already stored');
  });

  it('reports a query source an attempt died reading exactly as a clean run, its cursor saved once', async () => {
    const qdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-crash-query-'));
    try {
      fs.writeFileSync(
        path.join(qdir, 'sources.yaml'),
        [
          'sources:',
          '  - name: warehouse-crm',
          '    kind: crm',
          '    query:',
          '      urlEnv: CF_CRASH_CRM_URL',
          '      sql: SELECT crm_id, email, updated_at FROM crm_export WHERE updated_at > $1::timestamptz ORDER BY updated_at',
          '      cursorColumn: updated_at',
        ].join('\n'),
      );
      const withExport = async () => {
        const t = await fresh();
        await t.db.query('CREATE TABLE crm_export (crm_id text, email text, updated_at timestamptz)');
        await t.db.query(
          `INSERT INTO crm_export SELECT 'c' || i, 'c' || i || '@example.com', timestamptz '2026-11-01' + i * interval '1 hour'
             FROM generate_series(1, 25) i`,
        );
        process.env.CF_CRASH_CRM_URL = t.url;
        return t;
      };
      const read = (t: TestDatabase, heartbeat?: Parameters<typeof ingestSources>[1]['heartbeat']) =>
        ingestSources({ db: t.db, log }, { runId: 'run-q', sourceDir: qdir, now: NOW, chunkRows: 10, heartbeat });
      const cursor = async (t: TestDatabase) => (await t.db.query('SELECT cursor FROM source_cursors')).rows;

      const clean = await withExport();
      const expected = await read(clean);
      const crashed = await withExport();
      let chunks = 0;
      await expect(
        read(crashed, (d) => {
          if (d.chunk && ++chunks === 2) throw new Error('worker killed');
        }),
      ).rejects.toThrow('worker killed');
      expect(await cursor(crashed)).toEqual([]); // not saved before the read was done
      expect(await read(crashed)).toEqual(expected);
      expect(await cursor(crashed)).toEqual(await cursor(clean));
    } finally {
      fs.rmSync(qdir, { recursive: true, force: true });
    }
  });
});
