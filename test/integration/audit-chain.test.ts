import fs from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import type { Db } from '../../src/data/db';
import { migrate } from '../../src/data/migrate';
import { canonicalText, chainHash, GENESIS, verifyAuditChain } from '../../src/governance/audit-chain';
import { appendAudit } from '../../src/data/audit';
import { freshDatabase, type TestDatabase } from '../support/db';

// The audit log is append-only and hash-chained (migration 005); verifyAuditChain recomputes
// every hash in TypeScript and names the first row where the chain breaks.

const MIGRATIONS = path.join(__dirname, '../../src/data/migrations');
const databases: TestDatabase[] = [];

async function database(label: string, options?: { migrated?: boolean }): Promise<TestDatabase> {
  const test = await freshDatabase(label, options);
  databases.push(test);
  return test;
}

afterAll(async () => {
  for (const test of databases) await test.drop();
});

/** Applies the migrations before `first`, as an older release left the database. */
async function migrateBefore(db: Db, first: string): Promise<void> {
  await db.query(
    'CREATE TABLE schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
  );
  for (const name of (await fs.readdir(MIGRATIONS)).filter((f) => /^\d{3}_.*\.sql$/.test(f) && f < first).sort()) {
    await db.query(await fs.readFile(path.join(MIGRATIONS, name), 'utf8'));
    await db.query('INSERT INTO schema_migrations (name) VALUES ($1)', [name]);
  }
}

/** One statement on its own connection, with every trigger off: what a superuser could do by hand. */
async function tamper(url: string, sql: string, params: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('SET session_replication_role = replica');
    await client.query(sql, params);
  } finally {
    await client.end();
  }
}

async function writeEntries(db: Db, n: number, runId = 'run-spec'): Promise<void> {
  for (let i = 1; i <= n; i += 1) {
    await db.query(`INSERT INTO audit_log (run_id, actor, action, details) VALUES ($1, 'olivia', 'spec.step', $2)`, [
      runId,
      { step: i },
    ]);
  }
}

const idsOf = async (db: Db) =>
  (await db.query<{ id: number }>('SELECT id FROM audit_log ORDER BY id')).rows.map((r) => r.id);

describe('the audit chain', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await database('audit_chain');
  });

  it('chains the rows an older release wrote, in id order, when the migration runs', async () => {
    const old = await database('audit_backfill', { migrated: false });
    await migrateBefore(old.db, '005');
    await old.db.query(`INSERT INTO audit_log (key, run_id, actor, action, details) VALUES
      ('k-1', 'run-1', 'rita', 'run.started', '{"rationale": "monthly refresh", "tier": "all"}'),
      (NULL, 'run-1', 'adam', 'decision.approve', '{"comment": "sizes look right — approved"}'),
      (NULL, NULL, 'cohortflow', 'run.completed', '{}')`);

    expect(await migrate(old.db)).toContain('005_governance_trail.sql');

    expect(await verifyAuditChain(old.db)).toEqual({ ok: true, rows: 3 });
    const first = await old.db.query<{ prev_hash: string }>('SELECT prev_hash FROM audit_log ORDER BY id LIMIT 1');
    expect(first.rows[0]!.prev_hash).toBe(GENESIS);
  });

  it('verifies a log written by 20 concurrent transactions, each on its own connection', async () => {
    const clients = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const client = new pg.Client({ connectionString: test.url });
        await client.connect();
        return client;
      }),
    );
    try {
      // Every transaction is open before any writes, so they all contend for the chain's end.
      await Promise.all(
        clients.map(async (c) => {
          await c.query('BEGIN');
          await c.query('SELECT count(*) FROM audit_log');
        }),
      );
      await Promise.all(
        clients.map(async (c, i) => {
          await c.query(
            `INSERT INTO audit_log (run_id, actor, action, details) VALUES ($1, 'worker', 'spec.concurrent', $2), ($1, 'worker', 'spec.concurrent', $3)`,
            [`run-c${i}`, { row: 1 }, { row: 2 }],
          );
          await c.query(
            `INSERT INTO audit_log (key, run_id, actor, action) VALUES ('shared-key', $1, 'worker', 'spec.once') ON CONFLICT (key) DO NOTHING`,
            [`run-c${i}`],
          );
          await c.query('COMMIT');
        }),
      );
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }

    expect(await verifyAuditChain(test.db, { pageSize: 7 })).toEqual({ ok: true, rows: 41 });
    const once = await test.db.query(`SELECT 1 FROM audit_log WHERE key = 'shared-key'`);
    expect(once.rowCount).toBe(1);
  });

  it('appends a row once per key: a repeat writes nothing and leaves only a gap in the ids', async () => {
    const insert = () => appendAudit(test.db, { key: 'retried-activity', actor: 'cohortflow', action: 'spec.retry' });
    expect(await insert()).toBe(true);
    expect(await insert()).toBe(false);
    await writeEntries(test.db, 1);

    const [retried, next] = (await idsOf(test.db)).slice(-2);
    expect(next! - retried!).toBe(2);
    expect((await verifyAuditChain(test.db)).ok).toBe(true);
  });

  it('spells a row the same whatever the session time zone and date style', async () => {
    const client = new pg.Client({ connectionString: test.url });
    await client.connect();
    try {
      await client.query(`SET TimeZone = 'Pacific/Chatham'`);
      await client.query(`SET DateStyle = 'SQL, DMY'`);
      await client.query(
        `INSERT INTO audit_log (actor, action, at) VALUES ('olivia', 'spec.timezone', '2026-03-01T00:00:00.123456Z')`,
      );
    } finally {
      await client.end();
    }
    const row = await test.db.query<{ at: string }>(
      `SELECT audit_log_time(at) AS at FROM audit_log WHERE action = 'spec.timezone'`,
    );
    expect(row.rows[0]!.at).toBe('2026-03-01T00:00:00.123456Z');
    expect((await verifyAuditChain(test.db)).ok).toBe(true);
  });

  it('builds the same canonical text in TypeScript as in the database, nulls and separators included', async () => {
    const row = {
      id: 7,
      key: null,
      at: '2026-03-01T00:00:00.000000Z',
      run_id: 'run\n7',
      actor: 'null',
      action: 'spec.é',
      details: '{"a": "1:x"}',
    };
    const sql = await test.db.query<{ text: string; hash: string }>(
      `SELECT audit_log_canonical($1, $2, $3, $4, $5, $6, $7) AS text, audit_log_hash($8, audit_log_canonical($1, $2, $3, $4, $5, $6, $7)) AS hash`,
      [row.id, row.key, row.at, row.run_id, row.actor, row.action, row.details, GENESIS],
    );
    expect(canonicalText(row)).toBe(sql.rows[0]!.text);
    expect(canonicalText(row)).toBe(
      'id 7\nkey null\nat 27:2026-03-01T00:00:00.000000Z\nrun_id 5:run\n7\nactor 4:null\naction 7:spec.é\ndetails 12:{"a": "1:x"}',
    );
    expect(chainHash(GENESIS, canonicalText(row))).toBe(sql.rows[0]!.hash);
  });
});

describe('the audit log is append-only', () => {
  let test: TestDatabase;
  beforeAll(async () => {
    test = await database('audit_append_only');
    await writeEntries(test.db, 3);
  });

  it.each([
    ['UPDATE', `UPDATE audit_log SET actor = 'mallory'`],
    ['DELETE', 'DELETE FROM audit_log WHERE id = 1'],
    ['TRUNCATE', 'TRUNCATE audit_log'],
  ])('refuses %s even for the owner (a superuser), and changes nothing', async (op, sql) => {
    const before = (await test.db.query('SELECT * FROM audit_log ORDER BY id')).rows;
    await expect(test.db.query(sql)).rejects.toThrow(`audit_log is append-only: ${op} is refused`);
    expect((await test.db.query('SELECT * FROM audit_log ORDER BY id')).rows).toEqual(before);
  });

  it('sets id, prev_hash and hash itself, whatever the writer sends', async () => {
    await test.db.query(
      `INSERT INTO audit_log (id, actor, action, prev_hash, hash) VALUES (1000, 'mallory', 'spec.forge', 'x', 'y')`,
    );
    const row = await test.db.query<{ id: number; hash: string }>(
      `SELECT id, hash FROM audit_log WHERE action = 'spec.forge'`,
    );
    expect(row.rows[0]!.id).toBeLessThan(1000);
    expect(row.rows[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await verifyAuditChain(test.db)).ok).toBe(true);
  });
});

describe('a tampered audit log', () => {
  let test: TestDatabase;
  let ids: number[];
  beforeEach(async () => {
    test = await database('audit_tampered');
    await writeEntries(test.db, 6);
    ids = await idsOf(test.db);
  });

  it('names an edited row: its hash no longer matches its content', async () => {
    const k = ids[3]!;
    const stored = (await test.db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE id = $1', [k])).rows[0]!
      .hash;
    await tamper(test.url, `UPDATE audit_log SET details = '{"step": 99}' WHERE id = $1`, [k]);

    const report = await verifyAuditChain(test.db, { pageSize: 2 });
    expect(report).toMatchObject({ ok: false, rows: 4, brokenAt: { id: k, reason: 'hash mismatch', found: stored } });
    expect(report.brokenAt!.expected).toMatch(/^[0-9a-f]{64}$/);
    expect(report.brokenAt!.expected).not.toBe(stored);
  });

  it("names the successor of a forged row whose hash was recomputed: its prev_hash is the original's", async () => {
    const k = ids[2]!;
    const original = (await test.db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE id = $1', [k])).rows[0]!
      .hash;
    await tamper(
      test.url,
      `UPDATE audit_log SET details = '{"step": 99}',
         hash = audit_log_hash(prev_hash, audit_log_canonical(id, key, at, run_id, actor, action, '{"step": 99}')) WHERE id = $1`,
      [k],
    );
    const forged = (await test.db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE id = $1', [k])).rows[0]!
      .hash;

    expect(await verifyAuditChain(test.db, { pageSize: 2 })).toEqual({
      ok: false,
      rows: 4,
      brokenAt: { id: ids[3], reason: 'prev_hash does not match the previous row', expected: forged, found: original },
    });
  });

  it('names the row after a deleted one', async () => {
    await tamper(test.url, 'DELETE FROM audit_log WHERE id = $1', [ids[1]]);
    expect((await verifyAuditChain(test.db)).brokenAt).toMatchObject({
      id: ids[2],
      reason: 'prev_hash does not match the previous row',
    });
  });

  it('names a row slipped in with the chain trigger off', async () => {
    await tamper(
      test.url,
      `INSERT INTO audit_log (id, actor, action, prev_hash, hash)
      SELECT nextval('audit_log_id_seq'), 'mallory', 'spec.slipped', hash, repeat('f', 64) FROM audit_log ORDER BY id DESC LIMIT 1`,
    );
    const slipped = (await idsOf(test.db)).at(-1);
    expect((await verifyAuditChain(test.db)).brokenAt).toMatchObject({
      id: slipped,
      reason: 'hash mismatch',
      found: 'f'.repeat(64),
    });
  });
});
