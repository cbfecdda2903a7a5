import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../src/activities/deps';
import { deliverCohort } from '../../src/activities/publish';
import type { Destination } from '../../src/destinations/destination';
import { ingestSources } from '../../src/ingest/ingest-sources';
import { createLogger } from '../../src/log';
import { identifierHash } from '../../src/privacy/erased-identifiers';
import { eraseCustomer } from '../../src/privacy/erasure-removes';
import { generateSources } from '../../src/sources/generate';
import { freshDatabase, type TestDatabase } from '../support/db';
import { startDeliveryReceiver } from '../support/delivery-receiver';
import { testErasureKey } from '../support/erasure-key';
import { publish, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

// The attack: erase a customer, then feed the same source files back under new names (and the
// same customer through a query source, and a snapshot that raced the erasure). Nothing of theirs
// may come back, and every refused row is accounted for.

const log = createLogger('silent');
const NOW = new Date('2026-11-21T00:00:00Z');
const SECRET = `whsec_${crypto.randomBytes(24).toString('base64')}`;
const erasureKey = testErasureKey();

let t: TestDatabase;
let dir: string;
let run = 0;
let victim: string;
/** Every identifier the victim had, in clear: what the test knows and the database must not keep. */
let ids: Array<{ scheme: string; value: string }>;
const bystander = { uid: '', id: '' };

const ingest = (key = erasureKey) =>
  ingestSources({ db: t.db, log, erasureKey: key }, { runId: `run-${++run}`, sourceDir: dir, now: NOW });
const rows = async <T = Record<string, unknown>>(sql: string, params: unknown[] = []) =>
  (await t.db.query(sql, params)).rows as T[];
const count = async (sql: string, params: unknown[] = []) => Number((await rows<{ n: string }>(sql, params))[0]!.n);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A line names an identifier when it holds it as a whole token, as erasure matches quarantine. */
const naming = (values: string[]) =>
  new RegExp(`(^|[^A-Za-z0-9_.@+-])(${values.map(escape).join('|')})([^A-Za-z0-9_.@+-]|$)`, 'i');

/** Everything stored that still names the victim, table by table. */
async function traces(): Promise<Record<string, number>> {
  const values = ids.map((i) => i.value);
  return {
    customerData: await count(
      'SELECT count(*) AS n FROM customers WHERE customer_id = $1 AND (email IS NOT NULL OR plan IS NOT NULL OR erased_at IS NULL)',
      [victim],
    ),
    customersByEmail: await count('SELECT count(*) AS n FROM customers WHERE lower(email) = ANY($1::text[])', [
      values.map((v) => v.toLowerCase()),
    ]),
    events: await count('SELECT count(*) AS n FROM events WHERE customer_id = $1 OR identity_value = ANY($2::text[])', [
      victim,
      values,
    ]),
    identities: await count(
      'SELECT count(*) AS n FROM identities WHERE customer_id = $1 OR external_id = ANY($2::text[])',
      [victim, values],
    ),
    aliases: await count(
      'SELECT count(*) AS n FROM identity_aliases WHERE alias_value = ANY($1::text[]) OR value = ANY($1::text[])',
      [values],
    ),
    derivedState: await count('SELECT count(*) AS n FROM customer_state WHERE customer_id = $1', [victim]),
    crmHistory: await count('SELECT count(*) AS n FROM crm_history WHERE customer_id = $1', [victim]),
    quarantine: (await rows<{ raw: string }>('SELECT raw FROM quarantine')).filter((q) => naming(values).test(q.raw))
      .length,
  };
}
const NONE = {
  customerData: 0,
  customersByEmail: 0,
  events: 0,
  identities: 0,
  aliases: 0,
  derivedState: 0,
  crmHistory: 0,
  quarantine: 0,
};

beforeAll(async () => {
  t = await freshDatabase('erasure_stays');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-erasure-sources-'));
  await generateSources(dir, { customers: 80, days: 30, seed: 13, now: NOW, badRowRate: 0.02 });
  await ingest();
  // The customer known by the most kinds of identifier: id, email, product user, anonymous, billing.
  const [best] = await rows<{ customer_id: string }>(
    `SELECT customer_id FROM identities GROUP BY customer_id ORDER BY count(DISTINCT scheme) DESC, count(*) DESC, customer_id LIMIT 1`,
  );
  victim = best!.customer_id;
  ids = await rows(
    `SELECT scheme, external_id AS value FROM identities WHERE customer_id = $1
     UNION SELECT a.alias_scheme, a.alias_value FROM identity_aliases a JOIN identities i ON i.scheme = a.scheme AND i.external_id = a.value WHERE i.customer_id = $1`,
    [victim],
  );
  const [other] = await rows<{ customer_id: string; external_id: string }>(
    "SELECT customer_id, external_id FROM identities WHERE scheme = 'user_id' AND customer_id <> $1 ORDER BY 1 LIMIT 1",
    [victim],
  );
  bystander.id = other!.customer_id;
  bystander.uid = other!.external_id;
  // Bad rows naming the victim's product user id (the finding: erasure left these behind), and one
  // naming someone else, which must stay.
  const uid = ids.find((i) => i.scheme === 'user_id')!.value;
  fs.writeFileSync(
    path.join(dir, 'product-0900.ndjson'),
    [
      `{"event_id":"bad-1","user_id":"${uid}","type":"Not A Type!","timestamp":"2026-11-01T00:00:00Z"}`,
      `{"event_id":"bad-2","user_id":"${bystander.uid}","type":"Not A Type!","timestamp":"2026-11-01T00:00:00Z"}`,
      '',
    ].join('\n'),
  );
  await ingest();
});

afterAll(async () => {
  await t.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('erasure that stays erased', () => {
  it('starts from a customer known by every kind of identifier, with quarantined rows naming their user id', async () => {
    expect(new Set(ids.map((i) => i.scheme))).toEqual(
      new Set(['crm_id', 'email', 'user_id', 'anonymous_id', 'billing_customer_id']),
    );
    const before = await traces();
    expect(before.events).toBeGreaterThan(0);
    expect(before.derivedState).toBeGreaterThan(0);
    expect(before.quarantine).toBeGreaterThan(0);
  });

  it('deletes everything naming any of their identifiers, quarantined rows included, and nothing of anyone else', async () => {
    const report = await eraseCustomer(
      { db: t.db, log, destinations: [], erasureKey },
      { customerId: victim, requestedBy: 'priya', reason: 'GDPR art. 17 request #13' },
    );
    expect(report.alreadyErased).toBe(false);
    expect(await traces()).toEqual(NONE);
    expect(await count('SELECT count(*) AS n FROM quarantine WHERE raw LIKE $1', [`%${bystander.uid}%`])).toBe(1);
  });

  it('keeps the identifiers only as keyed hashes, never in clear', async () => {
    const stored = await rows<{ hash: string; key_id: string }>('SELECT hash, key_id FROM erased_identifiers');
    expect(stored.length).toBe(new Set(ids.map((i) => `${i.scheme}\0${i.value.toLowerCase()}`)).size);
    const text = JSON.stringify(stored);
    for (const { value } of ids) expect(text).not.toContain(value);
    // Keyed: the hash of each identifier with the key, and not a plain hash anyone could recompute.
    const hashes = new Set(stored.map((s) => s.hash));
    for (const i of ids) {
      expect(hashes.has(identifierHash(erasureKey, i.scheme, i.value))).toBe(true);
      expect(hashes.has(crypto.createHash('sha256').update(i.value).digest('hex'))).toBe(false);
      expect(hashes.has(identifierHash(testErasureKey(), i.scheme, i.value))).toBe(false);
    }
    expect(new Set(stored.map((s) => s.key_id))).toEqual(new Set([erasureKey.keyId]));
  });

  it('refuses every row of theirs when the same files come back under new names, and counts them as erased', async () => {
    const values = ids.map((i) => i.value);
    let naming_rows = 0;
    for (const name of fs.readdirSync(dir).filter((n) => /^(product|crm|billing|support)-\d{4}\.ndjson$/.test(n))) {
      const text = fs.readFileSync(path.join(dir, name), 'utf8');
      naming_rows += text.split('\n').filter((l) => naming(values).test(l)).length;
      const renamed = name.replace(/-(\d{4})\./, (_m, n: string) => `-${String(Number(n) + 5000).padStart(4, '0')}.`);
      fs.writeFileSync(path.join(dir, renamed), text);
    }
    expect(naming_rows).toBeGreaterThan(0);
    const s = await ingest();
    expect(s.filesRead).toBeGreaterThan(0);
    expect(s.erased).toBe(naming_rows);
    expect(s.rowsRead).toBe(s.stored + s.duplicates + s.quarantined + s.erased);
    for (const r of s.sources) expect(r.rowsRead).toBe(r.stored + r.duplicates + r.quarantined + r.erased);
    const recorded = await rows<{
      rows_read: number;
      stored: number;
      duplicates: number;
      quarantined: number;
      erased: number;
    }>('SELECT rows_read, stored, duplicates, quarantined, erased FROM source_ingests WHERE run_id = $1', [
      `run-${run}`,
    ]);
    expect(recorded.reduce((n, r) => n + r.erased, 0)).toBe(naming_rows);
    for (const r of recorded) expect(r.rows_read).toBe(r.stored + r.duplicates + r.quarantined + r.erased);
    expect(await traces()).toEqual(NONE);
    // The bystander's bad row came back as a duplicate line of a new file: quarantined again.
    expect(await count('SELECT count(*) AS n FROM quarantine WHERE raw LIKE $1', [`%${bystander.uid}%`])).toBe(2);
  });

  it('refuses a new contact that carries one of their identifiers, and takes everyone else', async () => {
    const email = ids.find((i) => i.scheme === 'email')!.value;
    fs.writeFileSync(
      path.join(dir, 'crm-0950.ndjson'),
      [
        JSON.stringify({ crm_id: 'crm_new_1', email: email.toUpperCase(), updated_at: '2026-11-10T00:00:00Z' }),
        JSON.stringify({ crm_id: 'crm_new_2', email: 'someone.new@example.com', updated_at: '2026-11-10T00:00:00Z' }),
        '',
      ].join('\n'),
    );
    const s = await ingest();
    expect(s.sources.find((r) => r.source === 'crm')).toMatchObject({ rowsRead: 2, stored: 1, erased: 1 });
    expect(await rows("SELECT customer_id FROM customers WHERE customer_id LIKE 'crm_new_%' ORDER BY 1")).toEqual([
      { customer_id: 'crm_new_2' },
    ]);
    expect(await traces()).toEqual(NONE);
  });

  it('refuses them from a query source too', async () => {
    await t.db.query('CREATE TABLE crm_export (crm_id text, email text, plan text, updated_at timestamptz)');
    await t.db.query(
      `INSERT INTO crm_export VALUES ($1, $2, 'enterprise', '2026-11-12T00:00:00Z'), ('crm_new_3', 'third@example.com', 'pro', '2026-11-12T00:00:00Z')`,
      [victim, ids.find((i) => i.scheme === 'email')!.value],
    );
    process.env.CF_ERASURE_TEST_URL = t.url;
    const yaml = [
      'sources:',
      '  - name: warehouse-crm',
      '    kind: crm',
      '    query:',
      '      urlEnv: CF_ERASURE_TEST_URL',
      '      sql: SELECT crm_id, email, plan, updated_at FROM crm_export WHERE updated_at > $1::timestamptz ORDER BY updated_at',
      '      cursorColumn: updated_at',
    ].join('\n');
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-erasure-query-'));
    try {
      fs.writeFileSync(path.join(other, 'sources.yaml'), yaml);
      const s = await ingestSources(
        { db: t.db, log, erasureKey },
        { runId: `run-${++run}`, sourceDir: other, now: NOW },
      );
      expect(s.sources[0]).toMatchObject({ source: 'warehouse-crm', rowsRead: 2, stored: 1, erased: 1 });
      expect(await rows("SELECT plan FROM customers WHERE customer_id = 'crm_new_3'")).toEqual([{ plan: 'pro' }]);
      expect(await traces()).toEqual(NONE);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses to ingest at all without the key, or with another key, rather than let them back in', async () => {
    await expect(ingestSources({ db: t.db, log }, { runId: `run-${++run}`, sourceDir: dir, now: NOW })).rejects.toThrow(
      /no erasure key is configured \(ERASURE_KEY_FILE\)/,
    );
    await expect(ingest(testErasureKey())).rejects.toThrow(
      /hashed with erasure key [0-9a-f]{16}, but ERASURE_KEY_FILE holds key/,
    );
    expect(await traces()).toEqual(NONE);
  });

  it('never delivers them, even from a snapshot computed while the erasure ran', async () => {
    const receiver = await startDeliveryReceiver(SECRET);
    try {
      const destinations: Destination[] = [
        {
          kind: 'webhook',
          name: 'crm',
          purpose: 'product',
          fields: ['customer_id'],
          allowRawEmail: false,
          url: receiver.url,
          secretsEnv: ['S'],
          secrets: [SECRET],
          maxBatchBytes: 256 * 1024,
          timeoutMs: 2_000,
          allowPrivateNetwork: true,
        },
      ];
      await recordVersion(t.db, 'raced', 1, { destinations: ['crm'] }, { author: 'dana' });
      await registerRun(t.db, 'run-raced', '2026-11-20T00:00:00Z');
      // The tombstone keeps the victim's customer number: a snapshot that read before the erasure holds it.
      await publish(
        t.db,
        await storeSnapshot(t.db, {
          runId: 'run-raced',
          cohortId: 'raced',
          version: 1,
          asOf: '2026-11-20T00:00:00Z',
          customerIds: [victim, bystander.id],
        }),
      );
      const deps: ActivityDeps = { db: t.db, log, sourceDir: '', catalogDir: '', destinations, erasureKey };
      await new MockActivityEnvironment().run(deliverCohort, deps, { runId: 'run-raced', cohortId: 'raced' });
      expect(receiver.adds()).toEqual([bystander.id]);
      const sent = [...receiver.accepted.values()].map((b) => JSON.stringify(b)).join('\n');
      for (const { value } of ids) expect(sent).not.toContain(value);
    } finally {
      await receiver.close();
    }
  });
});
