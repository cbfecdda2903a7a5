import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { z } from 'zod';
import { readRows } from '../../src/ingest/read-rows';
import { stageRow } from '../../src/ingest/staging';
import { SourceConfig } from '../../src/sources/config';
import { generateSources, type GenerateOptions, type GenerateSummary } from '../../src/sources/generate';
import { SOURCE_KINDS, type CrmRow, type SourceKindName } from '../../src/sources/kinds';

const NOW = new Date('2026-03-01T15:30:00Z');
const DAY = 86_400_000;
const KINDS: SourceKindName[] = ['product', 'crm', 'billing', 'support'];

interface KindRows<K extends SourceKindName = SourceKindName> {
  files: string[];
  rows: number;
  bad: number;
  /** Rows that pass the kind's schema and the ingest's checks, parsed. */
  good: Array<z.infer<(typeof SOURCE_KINDS)[K]>>;
}

/** Reads a kind's files as the ingest does; a row is bad when the ingest would quarantine it. */
async function readKind<K extends SourceKindName>(dir: string, kind: K, now = NOW): Promise<KindRows<K>> {
  const source = SourceConfig.parse({ name: kind, kind });
  const files = fs
    .readdirSync(dir)
    .filter((n) => n.startsWith(`${kind}-`))
    .sort();
  const out: KindRows<K> = { files, rows: 0, bad: 0, good: [] };
  for (const name of files) {
    for await (const row of readRows(path.join(dir, name))) {
      out.rows += 1;
      if ('error' in row) {
        out.bad += 1;
        continue;
      }
      const parsed = SOURCE_KINDS[kind].safeParse(row.record);
      const staged = stageRow(source, row.record, row.line, now.getTime() + DAY);
      if (!parsed.success || 'reason' in staged) out.bad += 1;
      else out.good.push(parsed.data as z.infer<(typeof SOURCE_KINDS)[K]>);
    }
  }
  return out;
}

const keyOf: Record<SourceKindName, (r: Record<string, unknown>) => string> = {
  product: (r) => String(r.event_id),
  billing: (r) => String(r.event_id),
  support: (r) => `${r.ticket_id}:${r.event}`,
  crm: (r) => `${r.crm_id}|${r.updated_at}`,
};
const duplicatesIn = (kind: SourceKindName, good: Array<Record<string, unknown>>) =>
  good.length - new Set(good.map(keyOf[kind])).size;

/** Each customer's CRM state as the merge keeps it: per field, the newest non-empty value. */
function latestCrm(rows: Array<z.infer<typeof CrmRow>>): Map<string, z.infer<typeof CrmRow>> {
  const latest = new Map<string, z.infer<typeof CrmRow>>();
  const byTime = [...rows].sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at));
  for (const r of byTime) {
    const filled = Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined));
    latest.set(r.crm_id, { ...latest.get(r.crm_id), ...filled } as z.infer<typeof CrmRow>);
  }
  return latest;
}

const share = (part: number, whole: number) => part / whole;

describe('sample data generator', () => {
  let root: string;
  const dirs = new Map<string, { dir: string; summary: GenerateSummary }>();
  /** Generates once per distinct options into its own folder. */
  async function generated(options: GenerateOptions): Promise<{ dir: string; summary: GenerateSummary }> {
    const key = JSON.stringify(options);
    if (!dirs.has(key)) {
      const dir = path.join(root, `set-${dirs.size + 1}`);
      dirs.set(key, { dir, summary: await generateSources(dir, options) });
    }
    return dirs.get(key)!;
  }
  const bytesOf = (dir: string) =>
    Object.fromEntries(
      fs
        .readdirSync(dir)
        .sort()
        .map((n) => [n, fs.readFileSync(path.join(dir, n))]),
    );

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-generate-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  describe('reproducibility', () => {
    const small = { customers: 300, days: 30, now: NOW, badRowRate: 0.01 };

    it('writes byte-identical files for the same seed, options and now', async () => {
      const a = await generateSources(path.join(root, 'same-a'), { ...small, seed: 7, gzip: true });
      const b = await generateSources(path.join(root, 'same-b'), { ...small, seed: 7, gzip: true });
      expect(b).toEqual(a);
      expect(bytesOf(path.join(root, 'same-b'))).toEqual(bytesOf(path.join(root, 'same-a')));
    });

    it('writes different data for a different seed', async () => {
      const a = await generated({ ...small, seed: 7 });
      const b = await generated({ ...small, seed: 8 });
      expect(fs.readFileSync(path.join(b.dir, 'product-0001.ndjson'))).not.toEqual(
        fs.readFileSync(path.join(a.dir, 'product-0001.ndjson')),
      );
      expect(fs.readFileSync(path.join(b.dir, 'crm-0001.ndjson'))).not.toEqual(
        fs.readFileSync(path.join(a.dir, 'crm-0001.ndjson')),
      );
    });

    it('removes files of an earlier, bigger run from the folder', async () => {
      const dir = path.join(root, 'rerun');
      await generateSources(dir, { ...small, seed: 1, eventsPerFile: 500 });
      const summary = await generateSources(dir, { ...small, seed: 1, eventsPerFile: 1_000_000 });
      expect(fs.readdirSync(dir).sort()).toEqual([
        'billing-0001.ndjson',
        'crm-0001.ndjson',
        'product-0001.ndjson',
        'support-0001.ndjson',
      ]);
      expect(summary.product.files).toBe(1);
    });
  });

  // Two-digit months and days too: a bad timestamp must stay bad whatever the date.
  describe.each([
    { format: 'ndjson' as const, gzip: false, now: NOW },
    { format: 'csv' as const, gzip: false, now: new Date('2026-11-20T09:00:00Z') },
    { format: 'ndjson' as const, gzip: true, now: new Date('2026-12-24T23:00:00Z') },
    { format: 'csv' as const, gzip: true, now: NOW },
  ])('$format files (gzip: $gzip)', ({ format, gzip, now }) => {
    const options = { customers: 300, days: 30, seed: 11, now, format, gzip, badRowRate: 0.01 };

    it.each(KINDS)('%s: good rows pass the schema; bad rows, duplicates and rows match the summary', async (kind) => {
      const { dir, summary } = await generated(options);
      const read = await readKind(dir, kind, now);
      expect(read.files).toEqual([`${kind}-0001.${format}${gzip ? '.gz' : ''}`]);
      expect(read.rows).toBe(summary[kind].rows);
      expect(read.bad).toBe(summary[kind].bad);
      expect(duplicatesIn(kind, read.good as Array<Record<string, unknown>>)).toBe(summary[kind].duplicates);
      expect(read.good.length).toBeGreaterThan(0);
    });

    if (gzip) {
      it('compresses with gzip that zlib reads', async () => {
        const { dir } = await generated(options);
        const text = zlib.gunzipSync(fs.readFileSync(path.join(dir, `product-0001.${format}.gz`))).toString('utf8');
        expect(text.split('\n').length).toBeGreaterThan(1000);
      });
    }
  });

  it('injects every sort of bad row when there are enough of them', async () => {
    const { summary } = await generated({
      customers: 300,
      days: 30,
      seed: 11,
      now: NOW,
      format: 'ndjson',
      gzip: false,
      badRowRate: 0.01,
    });
    expect(Object.keys(summary.product.badBySort).sort()).toEqual([
      'bad_timestamp',
      'future_timestamp',
      'missing_field',
      'no_identity',
      'unknown_value',
      'unparseable',
    ]);
    expect(summary.product.bad / summary.product.rows).toBeGreaterThan(0.007);
    expect(summary.product.bad / summary.product.rows).toBeLessThan(0.013);
    expect(summary.product.duplicates).toBeGreaterThan(0);
  });

  it('writes no bad rows and no duplicates at a rate of 0', async () => {
    const { dir, summary } = await generated({ customers: 200, days: 20, seed: 3, now: NOW, badRowRate: 0 });
    for (const kind of KINDS) {
      expect(summary[kind]).toMatchObject({ bad: 0, duplicates: 0 });
      expect((await readKind(dir, kind)).bad).toBe(0);
    }
  });

  it('starts a new file every eventsPerFile rows, with a header in each CSV file', async () => {
    const { dir, summary } = await generated({
      customers: 300,
      days: 30,
      seed: 5,
      now: NOW,
      format: 'csv',
      eventsPerFile: 1000,
    });
    const names = fs
      .readdirSync(dir)
      .filter((n) => n.startsWith('product-'))
      .sort();
    expect(summary.product.files).toBe(Math.ceil(summary.product.rows / 1000));
    expect(names).toHaveLength(summary.product.files);
    expect(names[0]).toBe('product-0001.csv');
    const lineCounts = names.map((n) => fs.readFileSync(path.join(dir, n), 'utf8').trimEnd().split('\n'));
    for (const lines of lineCounts) expect(lines[0]).toBe('event_id,user_id,anonymous_id,type,timestamp,properties');
    expect(lineCounts.slice(0, -1).every((lines) => lines.length === 1001)).toBe(true);
    expect(lineCounts.reduce((n, lines) => n + lines.length - 1, 0)).toBe(summary.product.rows);
  });

  it('rejects invalid options, naming the field and the value', async () => {
    await expect(generateSources(path.join(root, 'invalid'), { customers: 0, days: 30, seed: 1 })).rejects.toThrow(
      'generate: customers: ',
    );
    await expect(
      generateSources(path.join(root, 'invalid'), { customers: 10, days: 30, seed: 1, badRowRate: 2 }),
    ).rejects.toThrow(/badRowRate: .*\(got 2\)/);
  });

  describe('a realistic business (2,000 customers × 60 days)', () => {
    const options = { customers: 2000, days: 60, seed: 42, now: NOW };
    let product: KindRows<'product'>;
    let crm: KindRows<'crm'>;
    let billing: KindRows<'billing'>;
    let support: KindRows<'support'>;
    let customers: Map<string, z.infer<typeof CrmRow>>;

    beforeAll(async () => {
      const { dir } = await generated(options);
      [product, crm, billing, support] = await Promise.all([
        readKind(dir, 'product'),
        readKind(dir, 'crm'),
        readKind(dir, 'billing'),
        readKind(dir, 'support'),
      ]);
      customers = latestCrm(crm.good);
    });

    it('has every customer in the CRM, with several records for those whose lifecycle moved', () => {
      expect(customers.size).toBeGreaterThan(1900);
      expect(crm.good.length).toBeGreaterThan(customers.size * 1.5);
      for (const c of customers.values()) expect(c.email).toMatch(/^user\d{6}@example\.com$/);
    });

    it('writes plan changes, late links and withdrawn consent as partial records after a full one', () => {
      const partial = crm.good.filter((r) => r.lifecycle_stage === undefined);
      expect(partial.length).toBeGreaterThan(20);
      const fullAt = new Map<string, number>();
      for (const r of crm.good)
        if (r.lifecycle_stage !== undefined)
          fullAt.set(r.crm_id, Math.min(fullAt.get(r.crm_id) ?? Infinity, Date.parse(r.updated_at)));
      for (const r of partial) {
        expect(r.country).toBeUndefined();
        expect([r.plan, r.product_user_id, r.consent_marketing].filter((v) => v !== undefined)).toHaveLength(1);
      }
      expect(partial.filter((r) => (fullAt.get(r.crm_id) ?? Infinity) < Date.parse(r.updated_at)).length).toBe(
        partial.length,
      );
    });

    it('moves customers through trial, paid, churned and reactivated', () => {
      const stages = [...customers.values()].map((c) => c.lifecycle_stage);
      const count = (s: string) => stages.filter((x) => x === s).length;
      expect(share(count('trial'), stages.length)).toBeGreaterThan(0.05);
      expect(share(count('paid'), stages.length)).toBeGreaterThan(0.2);
      expect(share(count('churned'), stages.length)).toBeGreaterThan(0.2);
      expect(count('reactivated')).toBeGreaterThan(5);
      const plans = new Set([...customers.values()].map((c) => c.plan));
      expect(plans).toEqual(new Set(['free', 'pro', 'enterprise']));
    });

    it('has about 5% of customers without marketing consent', () => {
      const withdrawn = [...customers.values()].filter((c) => c.consent_marketing === false).length;
      expect(share(withdrawn, customers.size)).toBeGreaterThan(0.03);
      expect(share(withdrawn, customers.size)).toBeLessThan(0.08);
    });

    it('spreads customers over several regions', () => {
      const countries = new Set([...customers.values()].map((c) => c.country));
      expect(countries.size).toBeGreaterThanOrEqual(8);
    });

    it('writes some emails with other case or whitespace, all normalising to the same address', async () => {
      const { dir } = await generated(options);
      const raw = fs.readFileSync(path.join(dir, 'crm-0001.ndjson'), 'utf8');
      expect(raw).toMatch(/"email":"( U|USER)\d{6}@/);
      expect(new Set(crm.good.map((r) => r.email)).size).toBeLessThanOrEqual(customers.size);
    });

    it('links some product users in the CRM only after their first events (late identity links)', () => {
      const firstEvent = new Map<string, number>();
      for (const e of product.good)
        if (e.user_id && !firstEvent.has(e.user_id)) firstEvent.set(e.user_id, Date.parse(e.timestamp));
      const firstLink = new Map<string, number>();
      for (const r of crm.good)
        if (r.product_user_id && !firstLink.has(r.product_user_id))
          firstLink.set(r.product_user_id, Date.parse(r.updated_at));
      const late = [...firstLink].filter(([user, linked]) => (firstEvent.get(user) ?? Infinity) < linked);
      expect(late.length).toBeGreaterThan(10);
    });

    it('has anonymous browsing before signup, then an identify event carrying both ids', () => {
      const anonymousOnly = product.good.filter((e) => e.anonymous_id && !e.user_id);
      const identify = product.good.filter((e) => e.type === 'identify');
      expect(anonymousOnly.length).toBeGreaterThan(100);
      expect(share(anonymousOnly.length, product.good.length)).toBeLessThan(0.05); // below the null-rate warning
      expect(identify.length).toBeGreaterThan(50);
      for (const e of identify) expect(e.user_id && e.anonymous_id).toBeTruthy();
      const identified = new Set(identify.map((e) => e.anonymous_id));
      expect(
        share(anonymousOnly.filter((e) => identified.has(e.anonymous_id)).length, anonymousOnly.length),
      ).toBeGreaterThan(0.5);
    });

    it('has power users: the most active 5% of users produce a large share of events', () => {
      const perUser = new Map<string, number>();
      for (const e of product.good) if (e.user_id) perUser.set(e.user_id, (perUser.get(e.user_id) ?? 0) + 1);
      const counts = [...perUser.values()].sort((a, b) => b - a);
      const top = counts.slice(0, Math.round(counts.length * 0.05)).reduce((a, b) => a + b, 0);
      expect(
        share(
          top,
          counts.reduce((a, b) => a + b, 0),
        ),
      ).toBeGreaterThan(0.25);
    });

    it('is quieter at weekends and writes events in time order (re-sent duplicates aside)', () => {
      const byWeekday = new Array<number>(7).fill(0);
      const seen = new Set<string>();
      let previous = 0;
      let outOfOrder = 0;
      for (const e of product.good) {
        if (seen.has(e.event_id)) continue;
        seen.add(e.event_id);
        const t = Date.parse(e.timestamp);
        byWeekday[new Date(t).getUTCDay()]! += 1;
        if (t < previous) outOfOrder += 1;
        previous = t;
      }
      const weekend = (byWeekday[0]! + byWeekday[6]!) / 2;
      const weekdays = (byWeekday[1]! + byWeekday[2]! + byWeekday[3]! + byWeekday[4]!) / 4;
      expect(weekend / weekdays).toBeLessThan(0.7);
      expect(outOfOrder).toBe(0);
    });

    it('lets churned customers fall silent', () => {
      const userOf = new Map([...crm.good].filter((r) => r.product_user_id).map((r) => [r.crm_id, r.product_user_id!]));
      const churnedAt = new Map<string, number>();
      for (const c of customers.values())
        if (c.lifecycle_stage === 'churned' && userOf.has(c.crm_id))
          churnedAt.set(userOf.get(c.crm_id)!, Date.parse(c.updated_at));
      const afterChurn = product.good.filter(
        (e) => e.user_id && Date.parse(e.timestamp) > (churnedAt.get(e.user_id) ?? Infinity),
      ).length;
      expect(churnedAt.size).toBeGreaterThan(200);
      expect(share(afterChurn, product.good.length)).toBeLessThan(0.01);
    });

    it('bills monthly in local currencies, with failed payments, refunds and plan changes', () => {
      const types = new Map<string, number>();
      for (const b of billing.good) types.set(b.type, (types.get(b.type) ?? 0) + 1);
      for (const t of [
        'invoice_paid',
        'payment_failed',
        'subscription_started',
        'subscription_cancelled',
        'subscription_upgraded',
        'refund',
      ])
        expect(types.get(t) ?? 0).toBeGreaterThan(0);
      expect(share(types.get('payment_failed')!, types.get('invoice_paid')!)).toBeLessThan(0.15);
      expect(new Set(billing.good.map((b) => b.currency).filter(Boolean)).size).toBeGreaterThanOrEqual(6);
      for (const b of billing.good.filter((x) => x.currency === 'JPY')) expect(Number.isInteger(b.amount)).toBe(true);
      const billed = new Set(crm.good.map((r) => r.billing_customer_id).filter(Boolean));
      expect(billing.good.every((b) => billed.has(b.billing_customer_id))).toBe(true);
    });

    it('opens and closes support tickets, with bursts of three times the usual volume', () => {
      const opened = support.good.filter((s) => s.event === 'opened');
      const closed = support.good.filter((s) => s.event === 'closed');
      expect(closed.length).toBeGreaterThan(opened.length * 0.7);
      expect(share(closed.filter((s) => s.satisfaction !== undefined).length, closed.length)).toBeGreaterThan(0.9);
      const perDay = new Map<number, number>();
      for (const s of opened) {
        const day = Math.floor(Date.parse(s.timestamp.replace(' ', 'T')) / DAY);
        perDay.set(day, (perDay.get(day) ?? 0) + 1);
      }
      const counts = [...perDay.values()].sort((a, b) => a - b);
      expect(counts[counts.length - 1]! / counts[Math.floor(counts.length / 2)]!).toBeGreaterThan(2);
    });
  });
});
