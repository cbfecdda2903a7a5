import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { writeDemoData } from '../../src/ingest/demo-data';
import { ingestFiles } from '../../src/ingest/ingest-files';
import { freshDatabase, type TestDatabase } from '../support/db';

const log = pino({ level: 'silent' });
const HEADER = 'event_id,customer_id,email,type,timestamp,value,properties';

let tmpRoot: string;
let folderNo = 0;

/** A new source folder holding the given files (name → lines). */
async function sourceFolder(files: Record<string, string[]>): Promise<string> {
  folderNo += 1;
  const dir = path.join(tmpRoot, `source-${folderNo}`);
  await fs.mkdir(dir, { recursive: true });
  for (const [name, lines] of Object.entries(files)) await fs.writeFile(path.join(dir, name), `${lines.join('\n')}\n`);
  return dir;
}

const customer = (id: string, extra: Record<string, unknown> = {}) => JSON.stringify({ customer_id: id, plan: 'pro', ...extra });

async function ingest(test: TestDatabase, sourceDir: string, runId = `run-${folderNo}-${Math.random().toString(36).slice(2, 8)}`) {
  const summary = await ingestFiles({ db: test.db, log }, { runId, sourceDir });
  return { runId, summary };
}

async function quarantinedRows(test: TestDatabase, runId: string) {
  const r = await test.db.query<{ source: string; file: string; line: number; reason: string; raw: string }>(
    'SELECT source, file, line, reason, raw FROM quarantine WHERE run_id = $1 ORDER BY file, line',
    [runId],
  );
  return r.rows;
}

async function storedEvent(test: TestDatabase, eventId: string) {
  const r = await test.db.query<{ customer_id: string; event_type: string; occurred_at: Date }>(
    'SELECT customer_id, event_type, occurred_at FROM events WHERE event_id = $1',
    [eventId],
  );
  return r.rows[0];
}

async function count(test: TestDatabase, table: 'events' | 'customers' | 'quarantine' | 'ingested_files'): Promise<number> {
  return (await test.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0]!.n;
}

beforeAll(async () => {
  tmpRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'cohortflow-ingest-'));
});

afterAll(async () => {
  await fs.rm(tmpRoot, { recursive: true, force: true });
});

describe('ingesting a source folder', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await freshDatabase('ingest');
  });
  afterAll(async () => {
    await test.drop();
  });

  describe('quarantine accounting', () => {
    let runId: string;
    let summary: Awaited<ReturnType<typeof ingestFiles>>;
    beforeAll(async () => {
      const dir = await sourceFolder({
        'customers.ndjson': [customer('cus_qa_1'), customer('cus_qa_2'), JSON.stringify({ customer_id: 'cus_qa_3', country: 'Germany' })],
        'events.csv': [
          HEADER,
          'evt_qa_1,cus_qa_1,,login,2025-05-01T10:00:00Z,,', // line 2
          'evt_qa_2,cus_qa_2,,login,2025-05-01T11:00:00Z,,', // line 3
          'evt_qa_1,cus_qa_1,,login,2025-05-01T10:00:00Z,,', // line 4: duplicate of line 2
          'evt_qa_3,cus_qa_1,,login,yesterday,,', //            line 5: bad timestamp
          'evt_qa_4,cus_qa_unknown,,login,2025-05-01T12:00:00Z,,', // line 6: unknown customer
          'evt_qa_5,cus_qa_2,,Log In!,2025-05-01T12:00:00Z,,', // line 7: bad event type
        ],
      });
      ({ runId, summary } = await ingest(test, dir));
    });

    it('accounts for every row read as stored, duplicate or quarantined', () => {
      expect(summary.rowsRead).toBe(9);
      expect(summary.stored + summary.duplicates + summary.quarantined).toBe(summary.rowsRead);
      expect(summary).toMatchObject({ filesRead: 2, filesSkipped: 0, stored: 4, duplicates: 1, quarantined: 4 });
    });

    it('puts every quarantined row in the quarantine table with its file and line number', async () => {
      const rows = await quarantinedRows(test, runId);
      expect(rows).toHaveLength(summary.quarantined);
      expect(rows.map((r) => [r.source, r.file, r.line])).toEqual([
        ['customers', 'customers.ndjson', 3],
        ['events', 'events.csv', 5],
        ['events', 'events.csv', 6],
        ['events', 'events.csv', 7],
      ]);
    });

    it('keeps the raw text of each quarantined row', async () => {
      const rows = await quarantinedRows(test, runId);
      expect(rows.find((r) => r.line === 5)?.raw).toBe('evt_qa_3,cus_qa_1,,login,yesterday,,');
    });

    it('gives a reason naming the field and the offending value', async () => {
      const reasons = (await quarantinedRows(test, runId)).map((r) => r.reason);
      expect(reasons[0]).toMatch(/country.*"Germany"/);
      expect(reasons[1]).toMatch(/timestamp.*"yesterday"/);
      expect(reasons[2]).toMatch(/customer_id.*"cus_qa_unknown"/);
      expect(reasons[3]).toMatch(/type.*"Log In!"/);
    });
  });

  describe('re-ingesting the same folder', () => {
    it('skips every file already ingested and stores nothing new', async () => {
      const dir = await sourceFolder({
        'customers.ndjson': [customer('cus_re_1')],
        'events.csv': [HEADER, 'evt_re_1,cus_re_1,,login,2025-05-02T10:00:00Z,,', 'evt_re_2,cus_nobody_re,,login,2025-05-02T10:00:00Z,,'],
      });
      await ingest(test, dir);
      const before = { events: await count(test, 'events'), quarantine: await count(test, 'quarantine'), files: await count(test, 'ingested_files') };

      const { summary } = await ingest(test, dir);

      expect(summary).toMatchObject({ filesRead: 0, filesSkipped: 2, rowsRead: 0, stored: 0, quarantined: 0 });
      expect({ events: await count(test, 'events'), quarantine: await count(test, 'quarantine'), files: await count(test, 'ingested_files') }).toEqual(before);
    });

    it('ingests a file again once its content changes', async () => {
      const dir = await sourceFolder({ 'customers.ndjson': [customer('cus_chg_1')], 'events.csv': [HEADER, 'evt_chg_1,cus_chg_1,,login,2025-05-02T10:00:00Z,,'] });
      await ingest(test, dir);
      await fs.appendFile(path.join(dir, 'events.csv'), 'evt_chg_2,cus_chg_1,,login,2025-05-02T11:00:00Z,,\n');

      const { summary } = await ingest(test, dir);

      expect(summary).toMatchObject({ filesRead: 1, filesSkipped: 1, rowsRead: 2, stored: 1, duplicates: 1 });
    });
  });

  describe('duplicate events', () => {
    it('drops an event whose id was already stored from an earlier file', async () => {
      const first = await sourceFolder({ 'customers.ndjson': [customer('cus_dup_1')], 'events-1.csv': [HEADER, 'evt_dup_1,cus_dup_1,,login,2025-05-03T10:00:00Z,,'] });
      await ingest(test, first);
      const second = await sourceFolder({ 'events-2.csv': [HEADER, 'evt_dup_1,cus_dup_1,,feature_used,2025-05-03T12:00:00Z,,'] });

      const { summary } = await ingest(test, second);

      expect(summary).toMatchObject({ stored: 0, duplicates: 1, quarantined: 0 });
      expect((await storedEvent(test, 'evt_dup_1'))?.event_type).toBe('login');
    });

    it('keeps one copy of an event id repeated within a file', async () => {
      const dir = await sourceFolder({
        'customers.ndjson': [customer('cus_dup_2')],
        'events.csv': [HEADER, 'evt_dup_2,cus_dup_2,,login,2025-05-03T10:00:00Z,,', 'evt_dup_2,cus_dup_2,,login,2025-05-03T10:00:00Z,,'],
      });

      const { summary } = await ingest(test, dir);

      expect(summary).toMatchObject({ duplicates: 1 });
      expect((await test.db.query("SELECT 1 FROM events WHERE event_id = 'evt_dup_2'")).rowCount).toBe(1);
    });
  });

  describe('identity resolution', () => {
    it('resolves an event naming the customer by differently-cased email to the canonical customer id', async () => {
      const dir = await sourceFolder({
        'customers.ndjson': [customer('cus_mail_1', { email: 'Ada.Lovelace@Example.com' })],
        'events.csv': [HEADER, 'evt_mail_1,,ADA.LOVELACE@EXAMPLE.COM,login,2025-05-04T10:00:00Z,,'],
      });

      await ingest(test, dir);

      expect((await storedEvent(test, 'evt_mail_1'))?.customer_id).toBe('cus_mail_1');
    });

    it('quarantines an event for a customer that no customers file names', async () => {
      const dir = await sourceFolder({ 'events.csv': [HEADER, 'evt_unk_1,,ghost@example.com,login,2025-05-04T10:00:00Z,,'] });

      const { runId, summary } = await ingest(test, dir);

      expect(summary).toMatchObject({ stored: 0, quarantined: 1 });
      expect(await storedEvent(test, 'evt_unk_1')).toBeUndefined();
      expect((await quarantinedRows(test, runId))[0]).toMatchObject({ file: 'events.csv', line: 2, reason: expect.stringMatching(/unknown customer: email "ghost@example.com"/) });
    });

    it('quarantines an event that names no customer at all', async () => {
      const dir = await sourceFolder({ 'customers.ndjson': [customer('cus_none_1')], 'events.csv': [HEADER, 'evt_none_1,,,login,2025-05-04T10:00:00Z,,'] });

      const { runId } = await ingest(test, dir);

      expect((await quarantinedRows(test, runId))[0]?.reason).toMatch(/customer_id: needs customer_id or email/);
    });
  });

  describe('event timestamps', () => {
    const at = async (eventId: string) => (await storedEvent(test, eventId))?.occurred_at.toISOString();
    beforeAll(async () => {
      const dir = await sourceFolder({
        'customers.ndjson': [customer('cus_ts_1')],
        'events.csv': [
          HEADER,
          'evt_ts_plain,cus_ts_1,,login,2025-06-01T12:00:00,,',
          'evt_ts_space,cus_ts_1,,login,2025-06-01 12:30:00,,',
          'evt_ts_date,cus_ts_1,,login,2025-06-01,,',
          'evt_ts_plus,cus_ts_1,,login,2025-06-01T14:00:00+02:00,,',
          'evt_ts_minus,cus_ts_1,,login,2025-06-01T07:00:00-05:00,,',
          'evt_ts_z,cus_ts_1,,login,2025-06-01T12:00:00.250Z,,',
        ],
      });
      await ingest(test, dir);
    });

    it('reads a timestamp without a zone as UTC', async () => {
      expect(await at('evt_ts_plain')).toBe('2025-06-01T12:00:00.000Z');
      expect(await at('evt_ts_space')).toBe('2025-06-01T12:30:00.000Z');
    });

    it('reads a bare date as midnight UTC', async () => {
      expect(await at('evt_ts_date')).toBe('2025-06-01T00:00:00.000Z');
    });

    it('converts a timestamp with an offset to UTC', async () => {
      expect(await at('evt_ts_plus')).toBe('2025-06-01T12:00:00.000Z');
      expect(await at('evt_ts_minus')).toBe('2025-06-01T12:00:00.000Z');
    });

    it('keeps a UTC timestamp as given, to the millisecond', async () => {
      expect(await at('evt_ts_z')).toBe('2025-06-01T12:00:00.250Z');
    });

    it('quarantines an event stamped in the future', async () => {
      const future = new Date(Date.now() + 2 * 3_600_000).toISOString();
      const dir = await sourceFolder({ 'customers.ndjson': [customer('cus_fut_1')], 'events.csv': [HEADER, `evt_fut_1,cus_fut_1,,login,${future},,`] });

      const { runId, summary } = await ingest(test, dir);

      expect(summary.quarantined).toBe(1);
      expect(await storedEvent(test, 'evt_fut_1')).toBeUndefined();
      expect((await quarantinedRows(test, runId))[0]).toMatchObject({ line: 2, reason: expect.stringMatching(/timestamp: in the future/) });
    });

    it('quarantines a calendar date that does not exist', async () => {
      const dir = await sourceFolder({ 'customers.ndjson': [customer('cus_feb_1')], 'events.csv': [HEADER, 'evt_feb_30,cus_feb_1,,login,2025-02-30T10:00:00Z,,'] });

      const { runId } = await ingest(test, dir);

      expect(await storedEvent(test, 'evt_feb_30')).toBeUndefined();
      expect((await quarantinedRows(test, runId))[0]?.reason).toMatch(/timestamp.*2025-02-30/);
    });
  });

  describe('file formats', () => {
    it('ingests customers from CSV and events from NDJSON', async () => {
      const dir = await sourceFolder({
        'customers.csv': ['customer_id,email,plan,country,lifecycle_stage,signup_at', 'cus_fmt_1,fmt@example.com,pro,de,paid,2025-01-01'],
        'events.ndjson': [JSON.stringify({ event_id: 'evt_fmt_1', customer_id: 'cus_fmt_1', type: 'login', timestamp: '2025-05-05T10:00:00Z' })],
      });

      const { summary } = await ingest(test, dir);

      expect(summary).toMatchObject({ filesRead: 2, stored: 2, quarantined: 0 });
      const c = (await test.db.query('SELECT plan, country, lifecycle_stage FROM customers WHERE customer_id = $1', ['cus_fmt_1'])).rows[0];
      expect(c).toEqual({ plan: 'pro', country: 'DE', lifecycle_stage: 'paid' });
      expect((await storedEvent(test, 'evt_fmt_1'))?.customer_id).toBe('cus_fmt_1');
    });

    it('ingests an event with a value and JSON properties from CSV', async () => {
      const dir = await sourceFolder({
        'customers.ndjson': [customer('cus_fmt_2')],
        'events.csv': [HEADER, 'evt_fmt_2,cus_fmt_2,,payment_failed,2025-05-05T10:00:00Z,49.5,"{""reason"":""card_declined""}"'],
      });

      await ingest(test, dir);

      const e = (await test.db.query('SELECT value, properties FROM events WHERE event_id = $1', ['evt_fmt_2'])).rows[0];
      expect(e).toEqual({ value: 49.5, properties: { reason: 'card_declined' } });
    });

    const malformedCsv = () =>
      sourceFolder({
        'customers.ndjson': [customer(`cus_cols_${folderNo}`)],
        'events.csv': [
          HEADER,
          `evt_cols_${folderNo}_1,cus_cols_${folderNo},,login,2025-05-05T10:00:00Z,,`,
          `evt_cols_${folderNo}_2,cus_cols_${folderNo},login,2025-05-05T10:00:00Z`,
          `evt_cols_${folderNo}_3,cus_cols_${folderNo},,login,2025-05-05T11:00:00Z,,`,
        ],
      });

    it('quarantines a CSV row with the wrong number of columns, with its line number', async () => {
      const dir = await malformedCsv();

      const { runId } = await ingest(test, dir);

      expect((await quarantinedRows(test, runId))[0]).toMatchObject({ source: 'events', file: 'events.csv', line: 3, reason: 'wrong number of columns', raw: expect.stringMatching(/^evt_cols_\d+_2,/) });
    });

    it('keeps storing the well-formed CSV rows after a malformed one', async () => {
      const dir = await malformedCsv();

      const { summary } = await ingest(test, dir);

      expect(summary).toMatchObject({ rowsRead: 4, stored: 3, quarantined: 1 });
    });

    it('quarantines an NDJSON line that is not valid JSON, with its line number', async () => {
      const dir = await sourceFolder({
        'customers.ndjson': [customer('cus_json_1')],
        'events.ndjson': [
          JSON.stringify({ event_id: 'evt_json_1', customer_id: 'cus_json_1', type: 'login', timestamp: '2025-05-05T10:00:00Z' }),
          '',
          '{"event_id": "evt_json_2", "customer_id": ',
          JSON.stringify({ event_id: 'evt_json_3', customer_id: 'cus_json_1', type: 'login', timestamp: '2025-05-05T11:00:00Z' }),
        ],
      });

      const { runId, summary } = await ingest(test, dir);

      expect(summary).toMatchObject({ rowsRead: 4, stored: 3, quarantined: 1 });
      const rows = await quarantinedRows(test, runId);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ file: 'events.ndjson', line: 3, reason: expect.stringMatching(/^not valid JSON/) });
    });

    it('quarantines an NDJSON line that is JSON but not an object', async () => {
      const dir = await sourceFolder({ 'customers.ndjson': [customer('cus_arr_1'), '["cus_arr_2"]'] });

      const { runId } = await ingest(test, dir);

      expect(await quarantinedRows(test, runId)).toEqual([expect.objectContaining({ line: 2, reason: 'not a JSON object' })]);
    });

    it('ignores files whose names say neither customers nor events', async () => {
      const dir = await sourceFolder({ 'notes.csv': [HEADER, 'evt_ign_1,cus_x,,login,2025-05-05T10:00:00Z,,'], 'events.txt': ['hello'] });

      const { summary } = await ingest(test, dir);

      expect(summary).toMatchObject({ filesRead: 0, filesSkipped: 0, rowsRead: 0 });
    });
  });
});

describe('the events watermark', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await freshDatabase('watermark');
  });
  afterAll(async () => {
    await test.drop();
  });

  it('is the newest event time stored, whatever the order of rows', async () => {
    const dir = await sourceFolder({
      'customers.ndjson': [customer('cus_wm_1')],
      'events.csv': [HEADER, 'evt_wm_1,cus_wm_1,,login,2025-07-01T09:00:00Z,,', 'evt_wm_2,cus_wm_1,,login,2025-07-03T09:00:00+02:00,,', 'evt_wm_3,cus_wm_1,,login,2025-07-02T09:00:00Z,,'],
    });

    const { summary } = await ingest(test, dir);

    expect(summary.watermarks).toEqual({ events: '2025-07-03T07:00:00.000Z' });
  });

  it('does not move back when an older file arrives later', async () => {
    const dir = await sourceFolder({ 'events-older.csv': [HEADER, 'evt_wm_old,cus_wm_1,,login,2025-06-01T00:00:00Z,,'] });

    const { summary } = await ingest(test, dir);

    expect(summary.watermarks.events).toBe('2025-07-03T07:00:00.000Z');
  });

  it('ignores a newer event that was quarantined for an unknown customer', async () => {
    const dir = await sourceFolder({ 'events-ghost.csv': [HEADER, 'evt_wm_ghost,cus_wm_ghost,,login,2025-08-01T00:00:00Z,,'] });

    const { summary } = await ingest(test, dir);

    expect(summary.quarantined).toBe(1);
    expect(summary.watermarks.events).toBe('2025-07-03T07:00:00.000Z');
  });
});

describe('demo data', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const read = async (dir: string) => ({
    customers: await fs.readFile(path.join(dir, 'customers.ndjson'), 'utf8'),
    events: await fs.readFile(path.join(dir, 'events-demo.csv'), 'utf8'),
  });

  it('writes identical files for the same seed and time', async () => {
    const a = path.join(tmpRoot, 'demo-a');
    const b = path.join(tmpRoot, 'demo-b');
    const countsA = await writeDemoData(a, { seed: 7, now, customers: 50 });
    const countsB = await writeDemoData(b, { seed: 7, now, customers: 50 });

    expect(countsB).toEqual(countsA);
    expect(await read(b)).toEqual(await read(a));
  });

  it('writes different files for a different seed', async () => {
    await writeDemoData(path.join(tmpRoot, 'demo-c'), { seed: 7, now, customers: 50 });
    await writeDemoData(path.join(tmpRoot, 'demo-d'), { seed: 8, now, customers: 50 });

    expect((await read(path.join(tmpRoot, 'demo-d'))).events).not.toEqual((await read(path.join(tmpRoot, 'demo-c'))).events);
  });

  it('ingests with exactly its planted bad rows quarantined', async () => {
    const test = await freshDatabase('demo');
    try {
      const dir = path.join(tmpRoot, 'demo-ingest');
      const written = await writeDemoData(dir, { seed: 3, now, customers: 60 });

      const { summary } = await ingest(test, dir);

      expect(summary).toMatchObject({ stored: written.customers + written.events, duplicates: 0, quarantined: 4 });
    } finally {
      await test.drop();
    }
  });
});
