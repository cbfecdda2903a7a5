import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { BadSourceFile, ingestSources } from '../../src/ingest/ingest-sources';
import { createLogger } from '../../src/log';
import type { IngestSummary } from '../../src/shared';
import { freshDatabase, type TestDatabase } from '../support/db';

const log = createLogger('silent');
const NOW = new Date('2026-11-21T00:00:00Z');
const HEADER = 'event_id,user_id,anonymous_id,type,timestamp,properties\n';
/** `n` valid product rows as CSV lines, ids from `from`; every third by an anonymous id only (a null key). */
const productLines = (from: number, n: number, hour = 10) =>
  Array.from({ length: n }, (_, i) =>
    (from + i) % 3 === 0
      ? `p${from + i},,a${from + i},login,2026-11-20T${String(hour).padStart(2, '0')}:00:00Z,`
      : `p${from + i},u1,,login,2026-11-20T${String(hour).padStart(2, '0')}:00:00Z,`,
  ).join('\n') + '\n';
const productCsv = (from: number, n: number, hour?: number) => HEADER + productLines(from, n, hour);
const event = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ event_id: id, user_id: 'u1', type: 'login', timestamp: '2026-11-20T10:00:00Z', ...extra });

describe('ingest when a source file is at fault', () => {
  let t: TestDatabase;
  let dir: string;
  const ingest = (runId: string, extra: { chunkRows?: number; loaders?: number } = {}) =>
    ingestSources({ db: t.db, log }, { runId, sourceDir: dir, now: NOW, ...extra });
  const write = (name: string, content: string | Buffer) => fs.writeFileSync(path.join(dir, name), content);
  const rows = async (sql: string, params: unknown[] = []) => (await t.db.query(sql, params)).rows;
  const product = (s: IngestSummary) => s.sources.find((r) => r.source === 'product')!;
  const check = (s: IngestSummary, name: string) => product(s).checks.find((c) => c.name === name);

  beforeEach(async () => {
    t = await freshDatabase('ingest_faults');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-faults-'));
  });
  afterEach(async () => {
    await t.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('quarantines a binary file named .csv as a file, warns naming it, and loads the files after it', async () => {
    write('product-0001.csv', Buffer.concat([Buffer.from(HEADER), Buffer.from([0x50, 0x4b, 3, 4, 0, 0, 10, 0xff, 0])]));
    write('product-0002.csv', productCsv(1, 3));
    const s = await ingest('run-1');

    expect(product(s)).toMatchObject({ filesRead: 1, filesQuarantined: 1, rowsRead: 3, stored: 3 });
    expect(s.quarantinedFiles).toEqual([
      {
        source: 'product',
        file: 'product-0001.csv',
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        reason: `not a text file: a NUL byte at byte offset ${HEADER.length + 4} (binary data, or text in UTF-16)`,
        bytesRead: HEADER.length + 9,
        rowsRead: 0,
        runId: 'run-1',
        skipped: false,
      },
    ]);
    expect(check(s, 'bad_files')).toMatchObject({
      verdict: 'warn',
      reason: expect.stringMatching(/^product-0001\.csv quarantined: not a text file: a NUL byte/),
    });
    expect(await rows('SELECT file, run_id, rows_read FROM quarantined_files')).toEqual([
      { file: 'product-0001.csv', run_id: 'run-1', rows_read: 0 },
    ]);
    expect(await rows('SELECT count(*)::int AS n FROM quarantine')).toEqual([{ n: 0 }]);
  });

  it('skips a file quarantined by an earlier run, saying so, and is not blocked by it', async () => {
    write('product-0001.csv.gz', zlib.gzipSync(productCsv(1, 50)).subarray(0, 120));
    await ingest('run-1');
    write('product-0002.csv', productCsv(100, 4));
    const s = await ingest('run-2');
    expect(product(s)).toMatchObject({ filesRead: 1, filesSkipped: 1, filesQuarantined: 0, stored: 4 });
    expect(s.quarantinedFiles).toEqual([
      expect.objectContaining({ file: 'product-0001.csv.gz', runId: 'run-1', skipped: true }),
    ]);
    expect(check(s, 'bad_files')).toMatchObject({
      verdict: 'warn',
      reason: expect.stringMatching(
        /^product-0001\.csv\.gz skipped: quarantined by run run-1 \(truncated or corrupt gzip/,
      ),
    });
  });

  it('keeps the rows read before a truncated gzip fails, stores none twice when the whole file comes again', async () => {
    const whole = zlib.gzipSync(productCsv(1, 3000));
    write('product-0001.csv.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    const s = await ingest('run-1', { chunkRows: 500 });
    const before = product(s);
    expect(before.filesQuarantined).toBe(1);
    expect(before.stored).toBeGreaterThan(0);
    expect(before.stored).toBeLessThan(3000);
    expect(before).toMatchObject({ rowsRead: before.stored, duplicates: 0, quarantined: 0 });
    expect(s.quarantinedFiles).toEqual([
      expect.objectContaining({
        file: 'product-0001.csv.gz',
        reason: 'truncated or corrupt gzip data: unexpected end of file (Z_BUF_ERROR)',
        bytesRead: Math.floor(whole.length / 2),
        rowsRead: before.stored,
      }),
    ]);
    expect(await rows('SELECT count(*)::int AS n FROM events')).toEqual([{ n: before.stored }]);

    write('product-0001.csv.gz', whole); // the sender delivers the file again, complete
    const again = product(await ingest('run-2', { chunkRows: 500 }));
    expect(again).toMatchObject({
      filesRead: 1,
      rowsRead: 3000,
      stored: 3000 - before.stored,
      duplicates: before.stored,
    });
    expect(await rows('SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM events')).toEqual([
      { n: 3000, d: 3000 },
    ]);
  });

  it('quarantines an unreadable file (a folder with a data file name) and reads the rest', async () => {
    fs.mkdirSync(path.join(dir, 'product-0001.csv'));
    write('product-0002.csv', productCsv(1, 2));
    const s = await ingest('run-1');
    expect(product(s)).toMatchObject({ filesQuarantined: 1, stored: 2 });
    expect(s.quarantinedFiles![0]).toMatchObject({
      file: 'product-0001.csv',
      sha256: '',
      reason: expect.stringMatching(/^cannot read the file: EISDIR/),
    });
  });

  it('fails the run naming the file and its reason when the source says badFiles: fail, without retrying it', async () => {
    write('sources.yaml', 'sources:\n  - { name: app, kind: product, files: "app-*", badFiles: fail }\n');
    write('app-0001.csv.gz', zlib.gzipSync(productCsv(1, 50)).subarray(0, 100));
    const failed = ingest('run-1');
    await expect(failed).rejects.toThrow(BadSourceFile);
    await expect(failed).rejects.toThrow(
      'source app: file app-0001.csv.gz quarantined: truncated or corrupt gzip data: unexpected end of file (Z_BUF_ERROR)',
    );
    // The same run's activity retried (a lost completion) fails the same way at once.
    await expect(ingest('run-1')).rejects.toThrow(BadSourceFile);
    write('app-0002.csv', productCsv(100, 2));
    const later = await ingest('run-2');
    expect(later.sources[0]).toMatchObject({ filesRead: 1, filesSkipped: 1, stored: 2, verdict: 'warn' });
  });

  it('quarantines NDJSON lines that are not valid UTF-8 with their exact bytes, never storing U+FFFD', async () => {
    const first = `${event('p1')}\n`;
    const bad = Buffer.concat([
      Buffer.from(
        '{"event_id":"p2","user_id":"u1","type":"login","timestamp":"2026-11-20T10:00:00Z","properties":{"x":"a',
      ),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}}'),
    ]);
    write('product-0001.ndjson', Buffer.concat([Buffer.from(first), bad, Buffer.from(`\n${event('p3')}\n`)]));
    const s = await ingest('run-1');
    expect(product(s)).toMatchObject({ rowsRead: 3, stored: 2, quarantined: 1 });
    const offset = bad.indexOf(0xff);
    expect(await rows('SELECT line, reason, raw, raw_bytes, raw_length, raw_truncated FROM quarantine')).toEqual([
      {
        line: 2,
        reason: `not valid UTF-8 text: byte 0xff at byte offset ${first.length + offset} of the file (byte ${offset} of the line)`,
        raw: `${bad.subarray(0, offset).toString()}\\xff\\xfe"}}`,
        raw_bytes: bad,
        raw_length: bad.length,
        raw_truncated: false,
      },
    ]);
    expect(
      await rows(`SELECT count(*)::int AS n FROM events WHERE properties::text LIKE '%' || chr(65533) || '%'`),
    ).toEqual([{ n: 0 }]);
  });

  it('quarantines CSV rows in another encoding or with a NUL byte, record by record, and reads the rest', async () => {
    const latin1 = Buffer.from('p9001,u1,,login,2026-11-20T10:00:00Z,"{""city"":""K\xf6ln""}"', 'latin1');
    const nul = Buffer.from('p9002,u1,,login,2026-11-20T10:00:00Z,\0');
    // 300 rows first: a NUL past the first 8 KiB is a bad row, not a sign of a binary file.
    const text = Buffer.concat([Buffer.from(productCsv(1, 300)), latin1, Buffer.from('\n'), nul, Buffer.from('\n')]);
    write('product-0001.csv', Buffer.concat([text, Buffer.from(productLines(9003, 2))]));
    const s = await ingest('run-1');
    expect(product(s)).toMatchObject({ filesQuarantined: 0, rowsRead: 304, stored: 302, quarantined: 2 });
    expect(await rows('SELECT line, reason, raw, raw_bytes FROM quarantine ORDER BY line')).toEqual([
      {
        line: 302,
        reason: `not valid UTF-8 text: byte 0xf6 at byte offset ${text.indexOf(0xf6)} of the file (byte ${latin1.indexOf(0xf6)} of the line)`,
        raw: 'p9001,u1,,login,2026-11-20T10:00:00Z,"{""city"":""K\\xf6ln""}"',
        raw_bytes: latin1,
      },
      {
        line: 303,
        reason: `not valid UTF-8 text: a NUL byte (0x00) at byte offset ${text.lastIndexOf(0)} of the file (byte ${nul.length - 1} of the line)`,
        raw: 'p9002,u1,,login,2026-11-20T10:00:00Z,\\x00',
        raw_bytes: nul,
      },
    ]);
  });

  it('keeps 64 KiB of a huge bad line with its full length, and reads on past a 50 MB line', async () => {
    const big = `{"event_id":"big","user_id":"u1","type":"login","timestamp":"2026-11-20T10:00:00Z","properties":{"blob":"${'x'.repeat(50 << 20)}"}}`;
    const broken = `{"event_id":"broken","note":"${'é'.repeat(1 << 20)}`; // 2 MiB, no closing brace
    write('product-0001.ndjson', `${event('p1')}\n${big}\n${broken}\n${event('p2')}\n`);
    const s = await ingest('run-1');
    expect(product(s)).toMatchObject({ rowsRead: 4, stored: 2, quarantined: 2 });
    const q = await rows(
      'SELECT line, reason, raw_length, raw_truncated, octet_length(raw) AS kept, left(raw, 14) AS head, raw_bytes FROM quarantine ORDER BY line',
    );
    expect(q).toEqual([
      {
        line: 2,
        reason: `a line of ${big.length} bytes, over the 16 MiB a row may hold`,
        raw_length: big.length,
        raw_truncated: true,
        kept: 65536,
        head: '{"event_id":"b',
        raw_bytes: null,
      },
      {
        line: 3,
        reason: expect.stringMatching(/^not valid JSON/),
        raw_length: Buffer.byteLength(broken),
        raw_truncated: true,
        kept: 65535, // whole characters only: a 2-byte é does not fit the last byte
        head: '{"event_id":"b',
        raw_bytes: null,
      },
    ]);
  });
});
