import { recountSnapshot } from '../../src/cohorts/run-compute';
import { eraseCustomerData as eraseCustomer, erasedSubject, UnknownCustomer } from '../../src/privacy/erase';
import { verifyAuditChain } from '../../src/governance/audit-chain';
import { addCustomer, addEvent, rebuildDerivedState } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { testErasureKey } from '../support/erasure-key';
import { customerIds, publish, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

let test: TestDatabase;
const erasureKey = testErasureKey();
const members = customerIds('c', 1, 12); // c001 … c012; c001 is erased, c010 must stay untouched
let old: string;
let current: string;
let other: string;

const count = async (sql: string, params: unknown[]) =>
  Number((await test.db.query<{ n: string }>(sql, params)).rows[0]!.n);

beforeAll(async () => {
  test = await freshDatabase('erasure');
  for (const id of members) await addCustomer(test.db, id, { plan: 'pro', consent_marketing: true });
  await test.db.query("UPDATE customers SET email = customer_id || '@example.com'");
  await test.db.query(
    "INSERT INTO identities (scheme, external_id, customer_id) VALUES ('email', 'c001@example.com', 'c001'), ('email', 'c010@example.com', 'c010')",
  );
  for (const id of ['c001', 'c010']) await addEvent(test.db, id, 'login', '2026-02-10T10:00:00Z');
  await rebuildDerivedState(test.db);
  await test.db.query(
    `INSERT INTO quarantine (run_id, source, file, line, raw, reason) VALUES
       ('r', 'crm', 'crm.csv', 3, 'c001,C001@Example.com,pro', 'bad date'),
       ('r', 'crm', 'crm.csv', 4, 'c0010,x@example.com,pro', 'bad date'),
       ('r', 'crm', 'crm.csv', 5, 'c010,c010@example.com,pro', 'bad date')`,
  );
  await recordVersion(test.db, 'payers', 1, { id: 'payers' }, { author: 'ana' });
  await recordVersion(test.db, 'others', 1, { id: 'others' }, { author: 'ana' });
  await registerRun(test.db, 'run-jan', '2026-01-31T00:00:00Z');
  await registerRun(test.db, 'run-feb', '2026-02-28T00:00:00Z');
  old = await storeSnapshot(test.db, {
    runId: 'run-jan',
    cohortId: 'payers',
    version: 1,
    asOf: '2026-01-31T00:00:00Z',
    customerIds: members.slice(0, 6),
  });
  current = await storeSnapshot(test.db, {
    runId: 'run-feb',
    cohortId: 'payers',
    version: 1,
    asOf: '2026-02-28T00:00:00Z',
    customerIds: members,
  });
  other = await storeSnapshot(test.db, {
    runId: 'run-feb',
    cohortId: 'others',
    version: 1,
    asOf: '2026-02-28T00:00:00Z',
    customerIds: members.slice(6),
  });
  for (const s of [old, current, other]) await recountSnapshot(test.db, s);
  // A shadow of payers computed in run-feb, holding the customer too: never published, erased all the same.
  await test.db.query(
    `INSERT INTO cohort_shadows (shadow_id, cohort_id, proposed_yaml, proposed, content_hash, live_version, runs_planned, runs_remaining, status, started_by, rationale)
     VALUES ('shadow_00000000000a', 'payers', 'id: payers', '{"id": "payers"}', 'h', 1, 2, 1, 'active', 'ana', 'a wider payers')`,
  );
  await test.db.query(
    `INSERT INTO shadow_snapshots (snapshot_id, shadow_id, run_id, cohort_id, as_of, size, content_hash)
     VALUES ('shsnap_a', 'shadow_00000000000a', 'run-feb', 'payers', '2026-02-28T00:00:00Z', 12, 'unhashed')`,
  );
  await test.db.query(
    `INSERT INTO shadow_snapshot_chunks (snapshot_id, block, members)
     SELECT 'shsnap_a', customer_no >> 16, array_agg(customer_no ORDER BY customer_no) FROM customers WHERE customer_id = ANY($1) GROUP BY 2`,
    [members],
  );
  await publish(test.db, old);
  await publish(test.db, current);
  await publish(test.db, other);
});

afterAll(() => test?.drop());

describe('erasing a customer', () => {
  let before: Map<string, { size: number; content_hash: string }>;

  it('removes the customer from every stored snapshot and recomputes sizes and hashes', async () => {
    before = new Map(
      (
        await test.db.query<{ snapshot_id: string; size: number; content_hash: string }>(
          'SELECT snapshot_id, size, content_hash FROM cohort_snapshots',
        )
      ).rows.map((r) => [r.snapshot_id, r]),
    );
    const report = await eraseCustomer(
      { db: test.db, erasureKey },
      {
        customerId: 'c001',
        requestedBy: 'priya',
        reason: 'GDPR art. 17 request #4411',
      },
    );
    expect(report).toMatchObject({ customerId: 'c001', alreadyErased: false, snapshots: 2, removals: [] }); // no destination holds them yet (see erasure-delivery)
    expect(report.rowsDeleted).toMatchObject({
      events: 1,
      customer_state: 1,
      crm_history: 1,
      identities: 1,
      quarantine: 1,
    });

    const after = await test.db.query<{ snapshot_id: string; size: number; content_hash: string }>(
      'SELECT snapshot_id, size, content_hash FROM cohort_snapshots',
    );
    const by = new Map(after.rows.map((r) => [r.snapshot_id, r]));
    expect(by.get(old)!.size).toBe(before.get(old)!.size - 1);
    expect(by.get(current)!.size).toBe(before.get(current)!.size - 1);
    expect(by.get(current)!.content_hash).not.toBe(before.get(current)!.content_hash);
    expect(by.get(other)).toEqual(before.get(other)); // never held the customer
    expect(await count('SELECT count(*) AS n FROM snapshot_members WHERE customer_id = $1', ['c001'])).toBe(0);
    // Sizes agree with the stored members.
    expect(await count('SELECT count(*) AS n FROM snapshot_members WHERE snapshot_id = $1', [current])).toBe(
      by.get(current)!.size,
    );
  });

  it('removes the customer from shadow snapshots too, with their size recounted', async () => {
    const shadow = await test.db.query<{ size: number }>(
      "SELECT size FROM shadow_snapshots WHERE snapshot_id = 'shsnap_a'",
    );
    expect(shadow.rows[0]!.size).toBe(members.length - 1);
    const held = await count(
      `SELECT count(*) AS n FROM shadow_snapshot_chunks k CROSS JOIN LATERAL unnest(k.members) AS n (customer_no)
       JOIN customers c ON c.customer_no = n.customer_no WHERE k.snapshot_id = 'shsnap_a' AND c.customer_id = $1`,
      ['c001'],
    );
    expect(held).toBe(0);
    expect(
      await count(
        "SELECT count(*) AS n FROM shadow_snapshot_chunks k CROSS JOIN LATERAL unnest(k.members) AS n (customer_no) WHERE k.snapshot_id = 'shsnap_a'",
        [],
      ),
    ).toBe(members.length - 1);
  });

  it('gives the hash a snapshot of the remaining members would have had', async () => {
    // The content hash of members c002 … c012, computed from scratch.
    const expected = await test.db.query<{ hash: string }>(
      `SELECT encode(sha256(convert_to(string_agg(block || ':' || array_to_string(members, ','), ';' ORDER BY block), 'UTF8')), 'hex') AS hash
       FROM (SELECT customer_no >> 16 AS block, array_agg(customer_no ORDER BY customer_no) AS members FROM customers WHERE customer_id = ANY($1::text[]) GROUP BY 1) x`,
      [members.slice(1)],
    );
    const stored = await test.db.query<{ content_hash: string }>(
      'SELECT content_hash FROM cohort_snapshots WHERE snapshot_id = $1',
      [current],
    );
    expect(stored.rows[0]!.content_hash).toBe(expected.rows[0]!.hash);
  });

  it("deletes the customer's personal data and leaves a tombstone, touching nobody else", async () => {
    const row = (
      await test.db.query('SELECT email, plan, consent_marketing, erased_at FROM customers WHERE customer_id = $1', [
        'c001',
      ])
    ).rows[0];
    expect(row).toMatchObject({ email: null, plan: null, consent_marketing: null, erased_at: expect.any(Date) });
    expect(await count('SELECT count(*) AS n FROM events WHERE customer_id = $1', ['c010'])).toBe(1);
    expect(await count('SELECT count(*) AS n FROM identities WHERE customer_id = $1', ['c010'])).toBe(1);
    // c0010 and c010 are other people whose quarantined rows stay.
    expect(
      (await test.db.query<{ line: number }>('SELECT line FROM quarantine ORDER BY line')).rows.map((r) => r.line),
    ).toEqual([4, 5]);
  });

  it('records the erasure in the audit chain under a hash of the customer id, never the id', async () => {
    const audit = await test.db.query<{ actor: string; details: Record<string, unknown> }>(
      "SELECT actor, details FROM audit_log WHERE action = 'privacy.erased'",
    );
    expect(audit.rows).toEqual([
      {
        actor: 'priya',
        details: expect.objectContaining({ subject: erasedSubject('c001'), reason: 'GDPR art. 17 request #4411' }),
      },
    ]);
    expect(JSON.stringify(audit.rows)).not.toContain('c001"');
    expect(await verifyAuditChain(test.db)).toMatchObject({ ok: true });
  });

  it('changes nothing when the same customer is erased again, and says so', async () => {
    const again = await eraseCustomer(
      { db: test.db, erasureKey },
      {
        customerId: 'c001',
        requestedBy: 'priya',
        reason: 'duplicate request',
      },
    );
    expect(again).toMatchObject({ alreadyErased: true, snapshots: 2 });
    expect(await count("SELECT count(*) AS n FROM audit_log WHERE action = 'privacy.erased'", [])).toBe(1);
  });

  it('refuses an unknown customer without changing anything', async () => {
    await expect(
      eraseCustomer({ db: test.db, erasureKey }, { customerId: 'nobody', requestedBy: 'priya', reason: 'typo' }),
    ).rejects.toThrow(new UnknownCustomer('no customer nobody; nothing was erased'));
  });
});
