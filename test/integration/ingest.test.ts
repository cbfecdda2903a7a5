import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { keepFeatures, rebuildCustomerState } from '../../src/cohorts/customer-state';
import { featureKey } from '../../src/cohorts/features';
import { ingestSources } from '../../src/ingest/ingest-sources';
import { createLogger } from '../../src/log';
import { freshDatabase, type TestDatabase } from '../support/db';

const log = createLogger('silent');
const NOW = new Date('2026-11-21T00:00:00Z');
const lines = (rows: unknown[]) => `${rows.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n')}\n`;

describe('ingest of the four source kinds', () => {
  let t: TestDatabase;
  let dir: string;
  let run = 0;
  const ingest = (extra: { chunkRows?: number } = {}) =>
    ingestSources({ db: t.db, log }, { runId: `run-${++run}`, sourceDir: dir, now: NOW, ...extra });
  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, name), text);
  const rows = async (sql: string, params: unknown[] = []) => (await t.db.query(sql, params)).rows;
  // Features the derived state keeps for compute: all activity, a property filter, money sums.
  const keep = () =>
    keepFeatures(
      t.db,
      new Map(
        [
          { spec: { types: 'activity' as const, where: [] }, sums: false },
          { spec: { types: ['login'], where: [['method', ['sso']]] as Array<[string, string[]]> }, sums: false },
          { spec: { types: ['invoice_paid'], where: [] }, sums: true },
        ].map((f) => [featureKey(f.spec), f]),
      ),
    );
  /** Every customer's derived row: traits and each kept feature's days and running totals. */
  const derived = () => rows('SELECT * FROM customer_state ORDER BY customer_id');
  /** Matching events per customer, from the running totals of the feature with that number. */
  const counted = (feature: number) =>
    rows(
      `SELECT customer_id, f${feature}_n[cardinality(f${feature}_n)] AS events FROM customer_state WHERE f${feature}_n IS NOT NULL ORDER BY 1`,
    );

  beforeEach(async () => {
    t = await freshDatabase('ingest');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-sources-'));
  });
  afterEach(async () => {
    await t.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const crm = (id: string, extra: Record<string, unknown> = {}) => ({
    crm_id: id,
    email: `${id}@example.com`,
    updated_at: '2026-11-01T00:00:00Z',
    ...extra,
  });

  it('accounts for every row: read = stored + duplicates + quarantined + erased, per source and in total', async () => {
    write(
      'crm-0001.ndjson',
      lines([
        crm('c1', { product_user_id: 'u1' }),
        crm('c2'),
        '{"crm_id": "c3"',
        { crm_id: 'c4', updated_at: 'yesterday' },
      ]),
    );
    write(
      'product-0001.csv',
      'event_id,user_id,anonymous_id,type,timestamp,properties\np1,u1,,login,2026-11-20T10:00:00Z,\np1,u1,,login,2026-11-20T10:00:00Z,\np2,u1,,Login!,2026-11-20T10:00:00Z,\np3,u1,,login,2026-11-20T10:00:00Z\n',
    );
    const s = await ingest();
    expect(s.rowsRead).toBe(s.stored + s.duplicates + s.quarantined + s.erased);
    for (const r of s.sources) expect(r.rowsRead).toBe(r.stored + r.duplicates + r.quarantined + r.erased);
    expect(s.sources.find((r) => r.source === 'crm')).toMatchObject({ rowsRead: 4, stored: 2, quarantined: 2 });
    expect(s.sources.find((r) => r.source === 'product')).toMatchObject({
      rowsRead: 4,
      stored: 1,
      duplicates: 1,
      quarantined: 2,
    });
    expect(await rows('SELECT source, file, line, reason FROM quarantine ORDER BY source, line')).toEqual([
      { source: 'crm', file: 'crm-0001.ndjson', line: 3, reason: expect.stringMatching(/not valid JSON/) },
      {
        source: 'crm',
        file: 'crm-0001.ndjson',
        line: 4,
        reason: 'updated_at: an ISO 8601 timestamp such as 2026-03-01T12:00:00Z (got "yesterday")',
      },
      {
        source: 'product',
        file: 'product-0001.csv',
        line: 4,
        reason: expect.stringMatching(/^type: .* \(got "Login!"\)$/),
      },
      { source: 'product', file: 'product-0001.csv', line: 5, reason: 'wrong number of columns (expected 6, got 5)' },
    ]);
  });

  it('changes nothing when the same files are ingested again', async () => {
    write('crm-0001.ndjson', lines([crm('c1', { product_user_id: 'u1' })]));
    write(
      'product-0001.ndjson',
      lines([{ event_id: 'p1', user_id: 'u1', type: 'login', timestamp: '2026-11-20T10:00:00Z' }]),
    );
    await ingest();
    await keep();
    const before = await rows('SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM customers) AS c');
    const state = await derived();
    const again = await ingest();
    expect(again).toMatchObject({ filesRead: 0, filesSkipped: 2, rowsRead: 0 });
    expect(await rows('SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM customers) AS c')).toEqual(
      before,
    );
    expect(await derived()).toEqual(state);
  });

  it('judges volume per day of data and leaves an ingest that brought nothing out of the baseline', async () => {
    /** `n` logins spread evenly up to `until`, one every `hours`. */
    const logins = (prefix: string, n: number, until: string, hours: number) =>
      lines(
        Array.from({ length: n }, (_, i) => ({
          event_id: `${prefix}${i}`,
          user_id: 'u1',
          type: 'login',
          timestamp: new Date(Date.parse(until) - i * hours * 3_600_000).toISOString(),
        })),
      );
    const volume = (s: Awaited<ReturnType<typeof ingest>>) =>
      s.sources.find((r) => r.source === 'product')!.checks.find((c) => c.name === 'volume')!;
    write('product-0001.ndjson', logins('a', 30, '2026-11-12T12:00:00Z', 2.4));
    await ingest();
    // Two days of data at ten a day.
    write('product-0002.ndjson', logins('b', 20, '2026-11-14T12:00:00Z', 2.4));
    expect(volume(await ingest()).figures).toMatchObject({ rows: 20, days: 2, rowsPerDay: 10 });
    const empty = await ingest();
    expect(volume(empty)).toMatchObject({ verdict: 'pass', figures: { rows: 0 } });
    expect(
      empty.sources.find((r) => r.source === 'product')!.checks.find((c) => c.name === 'freshness')!.reason,
    ).toMatch(/^newest data \(2026-11-14T12:00:00.000Z\) is 6.5 days old; this ingest brought no new rows/);
    // One day at ten a day: as usual, judged against the two-day batch alone (not the empty one).
    write('product-0003.ndjson', logins('c', 10, '2026-11-15T12:00:00Z', 2.4));
    expect(volume(await ingest())).toMatchObject({
      verdict: 'pass',
      figures: { rows: 10, days: 1, rowsPerDay: 10, median: 10, deviationPct: 0 },
      reason:
        '10 valid rows over 1 days of data (10 a day) vs a median of 10 a day over the last 1 ingests with rows (0% off)',
    });
  });

  it('drops an event re-sent in a later file as a duplicate', async () => {
    write(
      'product-0001.ndjson',
      lines([{ event_id: 'p1', user_id: 'u1', type: 'login', timestamp: '2026-11-20T10:00:00Z' }]),
    );
    await ingest();
    write(
      'product-0002.ndjson',
      lines([
        { event_id: 'p1', user_id: 'u1', type: 'login', timestamp: '2026-11-20T10:00:00Z' },
        { event_id: 'p2', user_id: 'u1', type: 'login', timestamp: '2026-11-20T11:00:00Z' },
      ]),
    );
    const s = await ingest();
    expect(s.sources.find((r) => r.source === 'product')).toMatchObject({ rowsRead: 2, stored: 1, duplicates: 1 });
  });

  it('maps every identifier to one canonical customer: normalised email, product user, billing customer', async () => {
    write(
      'crm-0001.ndjson',
      lines([crm('c1', { email: '  Ann@Example.COM ', product_user_id: 'u1', billing_customer_id: 'b1' })]),
    );
    write(
      'product-0001.ndjson',
      lines([{ event_id: 'p1', user_id: 'u1', type: 'login', timestamp: '2026-11-20T10:00:00Z' }]),
    );
    write(
      'billing-0001.ndjson',
      lines([
        {
          event_id: 'i1',
          billing_customer_id: 'b1',
          type: 'invoice_paid',
          timestamp: '2026-11-02T00:00:00Z',
          amount: 49,
          currency: 'eur',
        },
      ]),
    );
    write(
      'support-0001.ndjson',
      lines([
        {
          ticket_id: 't1',
          event: 'opened',
          email: 'ANN@example.com',
          timestamp: '2026-11-05T09:00:00Z',
          priority: 'high',
        },
      ]),
    );
    await ingest();
    expect(await rows('SELECT source, customer_id FROM events ORDER BY source')).toEqual([
      { source: 'billing', customer_id: 'c1' },
      { source: 'product', customer_id: 'c1' },
      { source: 'support', customer_id: 'c1' },
    ]);
    expect(await rows("SELECT email FROM customers WHERE customer_id = 'c1'")).toEqual([{ email: 'ann@example.com' }]);
  });

  it('attributes events that arrived before their identity link once the link arrives, derived state included', async () => {
    await keep();
    write(
      'product-0001.ndjson',
      lines([
        { event_id: 'p1', anonymous_id: 'a9', type: 'page_view', timestamp: '2026-11-19T10:00:00Z' },
        { event_id: 'p2', user_id: 'u7', anonymous_id: 'a9', type: 'identify', timestamp: '2026-11-19T10:05:00Z' },
        { event_id: 'p3', user_id: 'u7', type: 'login', timestamp: '2026-11-20T10:00:00Z' },
      ]),
    );
    await ingest();
    expect(await rows('SELECT count(*)::int AS n FROM events WHERE customer_id IS NULL')).toEqual([{ n: 3 }]);
    write('crm-0001.ndjson', lines([crm('c7', { product_user_id: 'u7' })]));
    const s = await ingest();
    expect(s.lateAttributed).toBe(3);
    expect(await rows('SELECT event_id, customer_id FROM events ORDER BY event_id')).toEqual(
      ['p1', 'p2', 'p3'].map((id) => ({ event_id: id, customer_id: 'c7' })),
    );
    // Activity leaves out identify: the page view and the login, on their two days.
    expect(await rows("SELECT f1_d, f1_n FROM customer_state WHERE customer_id = 'c7'")).toEqual([
      { f1_d: [20776, 20777], f1_n: [0, 1, 2] },
    ]);
  });

  it('keeps the derived state equal to one derived again from every stored row, over late rows, late links and several runs', async () => {
    await keep();
    write('crm-0001.ndjson', lines([crm('c1', { product_user_id: 'u1', billing_customer_id: 'b1' })]));
    const product = (from: number, to: number, day: (i: number) => number) =>
      lines(
        Array.from({ length: to - from }, (_, k) => {
          const i = from + k;
          return {
            event_id: `p${i}`,
            user_id: i % 7 === 0 ? 'u2' : 'u1',
            type: i % 2 ? 'login' : 'feature_used',
            timestamp: `2026-11-${String(day(i)).padStart(2, '0')}T10:00:00Z`,
            properties: i % 2 ? { method: i % 3 ? 'sso' : 'password', browser: `b${i}` } : { feature: 'api' },
          };
        }),
      );
    write(
      'product-0001.ndjson',
      product(0, 40, (i) => 10 + (i % 5)),
    );
    write(
      'billing-0001.ndjson',
      lines([
        {
          event_id: 'i1',
          billing_customer_id: 'b1',
          type: 'invoice_paid',
          timestamp: '2026-11-02T00:00:00Z',
          amount: 49.5,
          currency: 'EUR',
        },
        {
          event_id: 'i2',
          billing_customer_id: 'b1',
          type: 'invoice_paid',
          timestamp: '2026-11-03T00:00:00Z',
          amount: 10,
          currency: 'XXX',
        },
      ]),
    );
    await ingest({ chunkRows: 7 });
    // Later days append; days among the kept ones (late rows) and a late link (u2) re-sort.
    write(
      'product-0002.ndjson',
      product(40, 60, (i) => 16 + (i % 3)),
    );
    write(
      'product-0003.ndjson',
      product(60, 70, (i) => 9 + (i % 4)),
    );
    write('crm-0002.ndjson', lines([crm('c2', { product_user_id: 'u2', updated_at: '2026-11-05T00:00:00Z' })]));
    await ingest({ chunkRows: 7 });
    const incremental = await derived();
    expect(incremental.map((r) => r.customer_id)).toEqual(['c1', 'c2']);
    await rebuildCustomerState(t.db);
    expect(await derived()).toEqual(incremental);
    expect(await counted(1)).toEqual(
      await rows(
        "SELECT customer_id, count(*)::int AS events FROM events WHERE customer_id IS NOT NULL AND event_type IN ('login', 'feature_used') GROUP BY 1 ORDER BY 1",
      ),
    );
    // Only the filtered property decides: other properties (browser) never split anything.
    expect(await counted(2)).toEqual(
      await rows(
        "SELECT customer_id, count(*)::int AS events FROM events WHERE event_type = 'login' AND properties->>'method' = 'sso' GROUP BY 1 ORDER BY 1",
      ),
    );
    // Money in USD through fx_rates; a currency without a rate counts as nothing.
    expect(await rows("SELECT f3_v FROM customer_state WHERE customer_id = 'c1'")).toEqual([
      { f3_v: [0, 49.5 / 0.92, 49.5 / 0.92] },
    ]);
    expect(await rows('SELECT event_type FROM event_types ORDER BY 1')).toEqual([
      { event_type: 'feature_used' },
      { event_type: 'invoice_paid' },
      { event_type: 'login' },
    ]);
  });

  it('keeps every CRM record, so traits can be read as of any moment', async () => {
    write(
      'crm-0001.ndjson',
      lines([
        crm('c1', { plan: 'pro', updated_at: '2026-10-01T00:00:00Z' }),
        crm('c1', { plan: 'enterprise', updated_at: '2026-11-01T00:00:00Z' }),
      ]),
    );
    await ingest();
    expect(await rows("SELECT plan, updated_at FROM crm_history WHERE customer_id = 'c1' ORDER BY updated_at")).toEqual(
      [
        { plan: 'pro', updated_at: new Date('2026-10-01T00:00:00Z') },
        { plan: 'enterprise', updated_at: new Date('2026-11-01T00:00:00Z') },
      ],
    );
    expect(await rows("SELECT plan FROM customers WHERE customer_id = 'c1'")).toEqual([{ plan: 'enterprise' }]);
  });

  it('merges a contact field by field: each field keeps its newest non-empty value, within a file and across runs', async () => {
    write(
      'crm-0001.ndjson',
      lines([crm('c1', { plan: 'pro', lifecycle_stage: 'trial', updated_at: '2026-09-01T00:00:00Z' })]),
    );
    await ingest();
    write(
      'crm-0002.ndjson',
      lines([
        // An older full record and a newer partial one for the same contact, in one file.
        crm('c1', { plan: 'enterprise', lifecycle_stage: 'paid', country: 'DE', updated_at: '2026-10-01T00:00:00Z' }),
        { crm_id: 'c1', country: 'FR', updated_at: '2026-11-01T00:00:00Z' },
        crm('c2', { plan: 'enterprise', lifecycle_stage: 'paid', updated_at: '2026-10-01T00:00:00Z' }),
        { crm_id: 'c2', country: 'GB', updated_at: '2026-11-01T00:00:00Z' },
        // The newest record first, then an older one carrying a field the newest lacks.
        { crm_id: 'c3', country: 'ES', updated_at: '2026-11-01T00:00:00Z' },
        crm('c3', { plan: 'pro', country: 'PT', updated_at: '2026-10-01T00:00:00Z' }),
      ]),
    );
    await ingest();
    expect(
      await rows('SELECT customer_id, email, plan, lifecycle_stage, country FROM customers ORDER BY customer_id'),
    ).toEqual([
      { customer_id: 'c1', email: 'c1@example.com', plan: 'enterprise', lifecycle_stage: 'paid', country: 'FR' },
      { customer_id: 'c2', email: 'c2@example.com', plan: 'enterprise', lifecycle_stage: 'paid', country: 'GB' },
      { customer_id: 'c3', email: 'c3@example.com', plan: 'pro', lifecycle_stage: null, country: 'ES' },
    ]);
  });

  it('reads zone-less timestamps in the source time zone and stores UTC', async () => {
    write('sources.yaml', 'sources:\n  - { name: app, kind: product, files: "app-*", timezone: Europe/Berlin }\n');
    write(
      'app-0001.ndjson',
      lines([
        { event_id: 'summer', user_id: 'u1', type: 'login', timestamp: '2026-07-01 12:00:00' },
        { event_id: 'winter', user_id: 'u1', type: 'login', timestamp: '2026-01-15T12:00:00' },
        { event_id: 'offset', user_id: 'u1', type: 'login', timestamp: '2026-01-15T12:00:00-05:00' },
        { event_id: 'no-such-day', user_id: 'u1', type: 'login', timestamp: '2025-02-30T12:00:00Z' },
        { event_id: 'future', user_id: 'u1', type: 'login', timestamp: '2099-01-01T00:00:00Z' },
      ]),
    );
    await ingest();
    const at = Object.fromEntries(
      (await rows('SELECT event_id, occurred_at FROM events')).map((r) => [
        r.event_id,
        (r.occurred_at as Date).toISOString(),
      ]),
    );
    expect(at).toEqual({
      summer: '2026-07-01T10:00:00.000Z',
      winter: '2026-01-15T11:00:00.000Z',
      offset: '2026-01-15T17:00:00.000Z',
    });
    expect((await rows('SELECT reason FROM quarantine ORDER BY line')).map((r) => r.reason)).toEqual([
      'timestamp: not a real point in time (got "2025-02-30T12:00:00Z")',
      'timestamp: in the future (got "2099-01-01T00:00:00Z")',
    ]);
  });

  it('quarantines rows stamped later than the moment they are read, so no watermark passes the ingest clock', async () => {
    const soon = new Date(Date.now() + 60_000).toISOString();
    write('crm-0001.ndjson', lines([crm('c1', { product_user_id: 'u1' }), crm('c2', { updated_at: soon })]));
    write(
      'product-0001.ndjson',
      lines([
        { event_id: 'p1', user_id: 'u1', type: 'login', timestamp: '2026-11-20T10:00:00Z' },
        { event_id: 'p2', user_id: 'u1', type: 'login', timestamp: soon },
      ]),
    );
    await ingest();
    const finished = Date.now();
    expect(await rows('SELECT source, line, reason FROM quarantine ORDER BY source')).toEqual([
      { source: 'crm', line: 2, reason: `updated_at: in the future (got "${soon}")` },
      { source: 'product', line: 2, reason: `timestamp: in the future (got "${soon}")` },
    ]);
    expect(await rows('SELECT event_id FROM events')).toEqual([{ event_id: 'p1' }]);
    for (const { watermark } of await rows('SELECT watermark FROM source_watermarks'))
      expect((watermark as Date).getTime()).toBeLessThanOrEqual(finished);
  });

  it('reads gzip-compressed files', async () => {
    write('product-0001.ndjson.gz', '');
    fs.writeFileSync(
      path.join(dir, 'product-0001.ndjson.gz'),
      zlib.gzipSync(lines([{ event_id: 'p1', user_id: 'u1', type: 'login', timestamp: '2026-11-20T10:00:00Z' }])),
    );
    const s = await ingest();
    expect(s.sources.find((r) => r.source === 'product')).toMatchObject({ rowsRead: 1, stored: 1 });
  });

  it('refuses a bad sources.yaml, naming the file, the field and the problem', async () => {
    write('sources.yaml', 'sources:\n  - { name: app, kind: clickstream }\n');
    await expect(ingest()).rejects.toThrow(/sources\.yaml: sources\.0\.kind: /);
  });

  it("maps a source's own column names onto the kind's fields, naming the column in quarantine reasons", async () => {
    write(
      'sources.yaml',
      'sources:\n  - { name: segment, kind: product, files: "seg-*", fields: { event_id: messageId, user_id: userId, anonymous_id: anonymousId, type: event } }\n',
    );
    write(
      'seg-0001.csv',
      'messageId,userId,anonymousId,event,timestamp\nm1,u1,,login,2026-11-20T10:00:00Z\nm2,,a9,page_view,2026-11-20T10:05:00Z\nm3,u1,,Bad Type,2026-11-20T10:06:00Z\n',
    );
    const s = await ingest();
    expect(s.sources[0]).toMatchObject({ source: 'segment', rowsRead: 3, stored: 2, quarantined: 1 });
    expect(
      await rows('SELECT event_id, identity_scheme, identity_value, event_type FROM events ORDER BY event_id'),
    ).toEqual([
      { event_id: 'm1', identity_scheme: 'user_id', identity_value: 'u1', event_type: 'login' },
      { event_id: 'm2', identity_scheme: 'anonymous_id', identity_value: 'a9', event_type: 'page_view' },
    ]);
    expect(await rows('SELECT line, reason FROM quarantine')).toEqual([
      { line: 4, reason: expect.stringMatching(/^type \(column event\): .*\(got "Bad Type"\)$/) },
    ]);
  });

  it('refuses a field mapping for a field the kind does not have', async () => {
    write('sources.yaml', 'sources:\n  - { name: app, kind: product, fields: { customer: cust_id } }\n');
    await expect(ingest()).rejects.toThrow(
      /sources\.yaml: sources\.0\.fields\.customer: product has no field "customer"/,
    );
  });

  it('reads a query source past its cursor: only new rows on the next run', async () => {
    await t.db.query(`CREATE TABLE crm_export (crm_id text, email text, plan text, updated_at timestamptz)`);
    await t.db.query(
      `INSERT INTO crm_export VALUES ('c1', 'c1@example.com', 'pro', '2026-11-01T00:00:00Z'), ('c2', 'c2@example.com', 'free', '2026-11-02T00:00:00Z')`,
    );
    process.env.CF_TEST_CRM_URL = t.url;
    write(
      'sources.yaml',
      [
        'sources:',
        '  - name: warehouse-crm',
        '    kind: crm',
        '    query:',
        '      urlEnv: CF_TEST_CRM_URL',
        '      sql: SELECT crm_id, email, plan, updated_at FROM crm_export WHERE updated_at > $1::timestamptz ORDER BY updated_at',
        '      cursorColumn: updated_at',
      ].join('\n'),
    );
    const first = await ingest();
    expect(first.sources[0]).toMatchObject({ source: 'warehouse-crm', rowsRead: 2, stored: 2 });
    await t.db.query(`INSERT INTO crm_export VALUES ('c1', 'c1@example.com', 'enterprise', '2026-11-03T00:00:00Z')`);
    const second = await ingest();
    expect(second.sources[0]).toMatchObject({ rowsRead: 1, stored: 1 });
    expect(await rows("SELECT plan FROM customers WHERE customer_id = 'c1'")).toEqual([{ plan: 'enterprise' }]);
    expect(await rows("SELECT cursor FROM source_cursors WHERE source = 'warehouse-crm'")).toEqual([
      { cursor: '2026-11-03T00:00:00.000Z' },
    ]);
  });

  it('stores each event once when two loads of one source with the same events run at the same time', async () => {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-sources-'));
    try {
      const events = Array.from({ length: 200 }, (_, i) => ({
        event_id: `p${i}`,
        user_id: 'u1',
        type: 'login',
        timestamp: '2026-11-20T10:00:00Z',
      }));
      write('product-0001.ndjson', lines(events));
      fs.writeFileSync(path.join(other, 'product-0002.ndjson'), lines([...events].reverse()));
      const [a, b] = await Promise.all([
        ingest({ chunkRows: 20 }),
        ingestSources({ db: t.db, log }, { runId: 'run-concurrent', sourceDir: other, now: NOW, chunkRows: 20 }),
      ]);
      const [pa, pb] = [a, b].map((s) => s.sources.find((r) => r.source === 'product')!);
      expect(pa!.stored + pb!.stored).toBe(200);
      expect(pa!.duplicates + pb!.duplicates).toBe(200);
      expect(await rows('SELECT count(*)::int AS n, count(DISTINCT event_id)::int AS d FROM events')).toEqual([
        { n: 200, d: 200 },
      ]);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('resumes a file after the last committed chunk, storing nothing twice', async () => {
    await keep();
    write('crm-0001.ndjson', lines([crm('c1', { product_user_id: 'u1' })]));
    const events = Array.from({ length: 30 }, (_, i) => ({
      event_id: `p${i}`,
      user_id: 'u1',
      type: 'login',
      timestamp: '2026-11-20T10:00:00Z',
    }));
    write('product-0001.ndjson', lines([...events.slice(0, 20), '{broken', ...events.slice(20)]));
    // The worker dies right after its heartbeat for the second committed chunk of 10 rows.
    const dying = ingestSources(
      { db: t.db, log },
      {
        runId: 'run-killed',
        sourceDir: dir,
        now: NOW,
        chunkRows: 10,
        heartbeat: (d) => {
          if (
            (d as { source: string; rowsDone: number }).source === 'product' &&
            (d as { rowsDone: number }).rowsDone === 20
          )
            throw new Error('worker killed');
        },
      },
    );
    await expect(dying).rejects.toThrow('worker killed');
    expect(await rows("SELECT rows_done FROM ingest_progress WHERE source = 'product'")).toEqual([{ rows_done: 20 }]);

    const resumed = await ingest({ chunkRows: 10 });
    expect(resumed.sources.find((r) => r.source === 'product')).toMatchObject({
      rowsRead: 31,
      stored: 30,
      duplicates: 0,
      quarantined: 1,
    });
    expect(await rows('SELECT count(*)::int AS n FROM events')).toEqual([{ n: 30 }]);
    expect(await counted(1)).toEqual([{ customer_id: 'c1', events: 30 }]);
  });
});
