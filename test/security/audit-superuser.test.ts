import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { createActivities } from '../../src/activities';
import { createApi } from '../../src/api/server';
import { renderAuditReport } from '../../src/cli/audit-report';
import { appendAudit } from '../../src/data/audit';
import type { Db } from '../../src/data/db';
import { verifyAuditChain } from '../../src/governance/audit-chain';
import { checkpointFile, type AuditCheckpointStore } from '../../src/governance/audit-checkpoints';
import { generateAuditKey, loadAuditKeys } from '../../src/governance/audit-keys';
import { createLogger } from '../../src/log';
import { generateSigningKeyPem, signingKeyFrom } from '../../src/governance/proof-keys';
import { RefreshClient } from '../../src/temporal/refresh-client';
import { freshDatabase, type TestDatabase } from '../support/db';

// A database superuser rewrites the audit log the way the issue found it done: triggers off, a
// row edited (bob approved → mallory approved), and every later hash recomputed with the
// database's own functions, so the chain alone still verifies. Signed checkpoints of the head,
// kept outside the database with a key it never sees, are what give the rewrite away.

const databases: TestDatabase[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const d of databases) await d.drop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function setting(label: string) {
  const test = await freshDatabase(label);
  databases.push(test);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-audit-'));
  dirs.push(dir);
  generateAuditKey(path.join(dir, 'signing.pem'));
  const store = checkpointFile(
    path.join(dir, 'checkpoints.jsonl'),
    loadAuditKeys({ signingKeyFile: path.join(dir, 'signing.pem') }),
  );
  const verify = () => verifyAuditChain(test.db, { checkpoints: { file: store.file, ...store.read() } });
  return { test, dir, store, verify };
}

/** Rows as the runs of a month leave them; row `n` is the n-th written, 1-based. */
async function writeRows(db: Db, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n += 1) {
    await appendAudit(db, {
      key: `spec:${n}`,
      runId: `refresh-monthly-${Math.ceil(n / 10)}`,
      actor: n === 38 ? 'bob' : 'cohortflow',
      action: n === 38 ? 'decision.approve' : 'spec.step',
      details: n === 38 ? { comment: 'sizes look right' } : { step: n },
    });
  }
}

const idOfRow = async (db: Db, n: number) =>
  (await db.query<{ id: number }>('SELECT id FROM audit_log WHERE key = $1', [`spec:${n}`])).rows[0]!.id;

/** What a superuser can do by hand: every trigger off, the statements, every later hash recomputed in SQL. */
async function asSuperuser(url: string, sql: string, params: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const role = await client.query<{ rolsuper: boolean }>(
      'SELECT rolsuper FROM pg_roles WHERE rolname = current_user',
    );
    expect(role.rows[0]!.rolsuper).toBe(true);
    await client.query('BEGIN');
    await client.query('ALTER TABLE audit_log DISABLE TRIGGER ALL');
    await client.query(sql, params);
    await client.query(`DO $$
      DECLARE r record; prev text := audit_log_genesis();
      BEGIN
        FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
          UPDATE audit_log SET prev_hash = prev,
                 hash = audit_log_hash(prev, audit_log_canonical(r.id, r.key, r.at, r.run_id, r.actor, r.action, r.details))
           WHERE id = r.id RETURNING hash INTO prev;
        END LOOP;
      END $$`);
    await client.query('ALTER TABLE audit_log ENABLE TRIGGER ALL');
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

describe('a superuser who edits a row and re-hashes the chain', () => {
  it('passes the hash chain alone, and is named by the checkpoint signed after the row', async () => {
    const { test, store, verify } = await setting('audit_rewrite');
    await writeRows(test.db, 1, 20);
    await store.write(test.db); // after one run
    await writeRows(test.db, 21, 40);
    const signed = await store.write(test.db); // after the next
    await writeRows(test.db, 41, 43);
    const row20 = await idOfRow(test.db, 20);
    const row38 = await idOfRow(test.db, 38);

    await asSuperuser(test.url, `UPDATE audit_log SET actor = 'mallory' WHERE id = $1`, [row38]);

    expect((await test.db.query('SELECT actor FROM audit_log WHERE id = $1', [row38])).rows[0]).toEqual({
      actor: 'mallory',
    });
    expect(await verifyAuditChain(test.db)).toEqual({ ok: true, rows: 43 });
    const report = await verify();
    expect(report).toMatchObject({
      ok: false,
      brokenAt: {
        id: signed!.rowId,
        reason: 'differs from a signed checkpoint',
        expected: signed!.hash,
        intactUpTo: row20,
      },
    });
    expect(report.brokenAt!.found).not.toBe(signed!.hash);
    expect(renderAuditReport(report).join('\n')).toContain(
      `audit log REWRITTEN: row ${signed!.rowId} no longer has the hash a checkpoint recorded`,
    );
  });

  it('is named when it deletes a middle row and re-hashes', async () => {
    const { test, store, verify } = await setting('audit_delete_middle');
    await writeRows(test.db, 1, 40);
    const signed = await store.write(test.db);
    await writeRows(test.db, 41, 45);

    await asSuperuser(test.url, 'DELETE FROM audit_log WHERE id = $1', [await idOfRow(test.db, 38)]);

    expect((await verifyAuditChain(test.db)).ok).toBe(true);
    expect(await verify()).toMatchObject({
      ok: false,
      brokenAt: { id: signed!.rowId, reason: 'differs from a signed checkpoint', intactUpTo: 0 },
    });
  });

  it('is named when it deletes the checkpointed row itself and the rows around it', async () => {
    const { test, store, verify } = await setting('audit_delete_checkpointed');
    await writeRows(test.db, 1, 40);
    const signed = await store.write(test.db);
    await writeRows(test.db, 41, 45);

    await asSuperuser(test.url, `DELETE FROM audit_log WHERE key = ANY($1)`, [['spec:39', 'spec:40', 'spec:41']]);

    expect((await verifyAuditChain(test.db)).ok).toBe(true);
    expect(await verify()).toMatchObject({
      ok: false,
      brokenAt: { id: signed!.rowId, reason: 'a checkpointed row is missing', found: null },
    });
  });
});

describe('a superuser who deletes the last rows', () => {
  it('reports the truncated tail: how far the latest checkpoint reached, and where the log ends now', async () => {
    const { test, store, verify } = await setting('audit_truncate');
    await writeRows(test.db, 1, 43);
    const signed = await store.write(test.db);
    const row37 = await idOfRow(test.db, 37);

    await asSuperuser(test.url, 'DELETE FROM audit_log WHERE id > $1', [row37]);

    expect(await verifyAuditChain(test.db)).toEqual({ ok: true, rows: 37 });
    const report = await verify();
    expect(report).toMatchObject({
      ok: false,
      rows: 37,
      brokenAt: {
        id: signed!.rowId,
        reason: 'the log ends before a signed checkpoint',
        checkpoint: { rows: 43 },
        logEnd: { rowId: row37 },
      },
    });
    expect(renderAuditReport(report)[0]).toBe(
      `audit log TRUNCATED: a checkpoint (signed ${signed!.at} with key ${signed!.keyId}) covers 43 rows up to row ${signed!.rowId}; the log now has 37 rows, ending at row ${row37}`,
    );
  });
});

describe('a superuser who also tampers with the checkpoint file', () => {
  it('cannot sign a checkpoint of the forged head with a key of their own', async () => {
    const { test, store, dir, verify } = await setting('audit_forged_checkpoint');
    await writeRows(test.db, 1, 40);
    await store.write(test.db);
    await asSuperuser(test.url, `UPDATE audit_log SET actor = 'mallory' WHERE key = 'spec:38'`);

    generateAuditKey(path.join(dir, 'mallory.pem'));
    const forger = checkpointFile(store.file, loadAuditKeys({ signingKeyFile: path.join(dir, 'mallory.pem') }));
    await forger.write(test.db);

    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.checkpoints!.refused).toEqual([
      { line: 2, reason: expect.stringMatching(/^signed by key [0-9a-f]{16}, which is not trusted here$/) },
    ]);
    expect(report.brokenAt).toMatchObject({ reason: 'differs from a signed checkpoint' });
  });

  it('cannot edit the hash in a checkpoint line to match the forged head', async () => {
    const { test, store, verify } = await setting('audit_edited_checkpoint');
    await writeRows(test.db, 1, 40);
    const signed = await store.write(test.db);
    await asSuperuser(test.url, `UPDATE audit_log SET actor = 'mallory' WHERE key = 'spec:38'`);
    const forgedHead = (
      await test.db.query<{ hash: string }>('SELECT hash FROM audit_log WHERE id = $1', [signed!.rowId])
    ).rows[0]!.hash;
    fs.writeFileSync(store.file, fs.readFileSync(store.file, 'utf8').replace(signed!.hash, forgedHead));

    const report = await verify();
    expect(report).toMatchObject({ ok: false, checkpoints: { signed: 0 } });
    expect(report.checkpoints!.refused).toEqual([
      { line: 1, reason: `the signature does not match its content (row ${signed!.rowId})` },
    ]);
  });
});

describe('what checkpoints cannot see', () => {
  it('counts the rows written after the latest checkpoint, which a rewrite could still change unseen', async () => {
    const { test, store, verify } = await setting('audit_uncovered');
    await writeRows(test.db, 1, 40);
    await store.write(test.db);
    await writeRows(test.db, 41, 45);
    await asSuperuser(test.url, `UPDATE audit_log SET actor = 'mallory' WHERE key = 'spec:44'`);

    const report = await verify();
    expect(report).toMatchObject({ ok: true, rows: 45, checkpoints: { signed: 1, uncovered: 5 } });
    expect(renderAuditReport(report)).toContain(
      '  5 rows after the latest checkpoint are covered by the hash chain only until the next checkpoint',
    );
  });
});

describe('who signs checkpoints', () => {
  let test: TestDatabase;
  let store: AuditCheckpointStore;
  beforeAll(async () => {
    ({ test, store } = await setting('audit_writers'));
  });

  it('the worker, after every activity that appends to the audit log', async () => {
    const activities = createActivities({
      db: test.db,
      log: createLogger('silent'),
      sourceDir: '',
      catalogDir: '',
      destinations: [],
      auditCheckpoints: store,
    });
    const env = new MockActivityEnvironment();
    await env.run(activities.registerRun, {
      runId: 'refresh-adhoc-audit',
      cadence: 'adhoc' as const,
      tier: 'all' as const,
      requestedBy: 'alice',
      rationale: 'checkpoint spec',
    });
    await env.run(activities.recordOutcome, { runId: 'refresh-adhoc-audit', outcome: 'rejected' as const });

    const { checkpoints } = store.read();
    const head = await test.db.query<{ id: number }>('SELECT max(id)::int AS id FROM audit_log');
    expect(checkpoints.map((c) => c.rows)).toEqual([1, 2]);
    expect(checkpoints.at(-1)!.rowId).toBe(head.rows[0]!.id);
  });

  it('the API, after every change made through it, and on demand; GET /audit/verify checks against them', async () => {
    const token = crypto.randomBytes(24).toString('hex');
    const temporal = Connection.lazy({ address: '127.0.0.1:1' });
    const api = createApi({
      refreshes: new RefreshClient(
        new Client({ connection: temporal }),
        'audit-spec',
        signingKeyFrom(generateSigningKeyPem()),
      ),
      cohorts: { db: test.db, catalogDir: os.tmpdir() },
      tokens: { [token]: { user: 'olivia', roles: ['admin'] } },
      log: createLogger('silent'),
      auditCheckpoints: store,
    });
    await api.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    const call = async (method: 'GET' | 'POST', route: string, body?: unknown) => {
      const response = await fetch(`${base}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, body: (await response.json()) as any };
    };
    try {
      const note = await call('POST', '/runs/refresh-adhoc-audit/notes', { text: 'approved after checking sizes' });
      expect(note.status).toBe(201);
      const noteRow = await test.db.query<{ id: number }>(`SELECT id FROM audit_log WHERE action = 'note.added'`);
      expect(store.read().checkpoints.at(-1)!.rowId).toBe(noteRow.rows[0]!.id);

      const onDemand = await call('POST', '/audit/checkpoints');
      expect(onDemand).toMatchObject({
        status: 201,
        body: { checkpoint: { rowId: noteRow.rows[0]!.id, rows: 3 }, file: store.file },
      });

      expect((await call('GET', '/audit/verify')).body).toMatchObject({
        ok: true,
        rows: 3,
        checkpoints: { signed: 3, uncovered: 0, refused: [] },
      });
      await asSuperuser(test.url, `UPDATE audit_log SET actor = 'mallory' WHERE action = 'run.started'`);
      expect((await call('GET', '/audit/verify')).body).toMatchObject({
        ok: false,
        brokenAt: { reason: 'differs from a signed checkpoint', intactUpTo: 0 },
      });
    } finally {
      await api.close();
      await temporal.close();
    }
  });
});
