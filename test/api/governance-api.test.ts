import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { addCustomer } from '../support/cohort-data';
import { listenApi, type ListeningApi } from '../support/api';
import { freshDatabase, type TestDatabase } from '../support/db';

// The governance trail over real HTTP: notes, the audit log, a cohort's history, and the CLI
// commands that read them.

const TOKENS = {
  analyst: crypto.randomBytes(24).toString('hex'),
  approver: crypto.randomBytes(24).toString('hex'),
  viewer: crypto.randomBytes(24).toString('hex'),
  operator: crypto.randomBytes(24).toString('hex'),
};
const ROOT = path.resolve(__dirname, '../..');

let test: TestDatabase;
let catalogDir: string;
let server: ListeningApi;
let base: string;

const call = async (method: 'GET' | 'POST', route: string, token: string | null = TOKENS.viewer, body?: unknown) => {
  const { status, body: answer } = await server.call(method, route, token, body);
  return { status, body: answer };
};

/** The CLI as a person runs it, against this API. */
function cli(args: string[], token = TOKENS.viewer): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, env: { ...process.env, COHORTFLOW_API_URL: base, COHORTFLOW_TOKEN: token, LOG_LEVEL: 'warn' } },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const run = (id: string, requestedBy = 'rita', rationale = 'spec run') =>
  test.db.query(
    `INSERT INTO runs (run_id, cadence, tier, requested_by, rationale) VALUES ($1, 'monthly', 'all', $2, $3)`,
    [id, requestedBy, rationale],
  );

const definitionVersion = (cohortId: string, version: number, definition: unknown, author: string, rationale: string) =>
  test.db.query(
    `INSERT INTO cohort_definitions (cohort_id, version, content_hash, definition, tier, author, rationale, change) VALUES ($1, $2, $3, $4, 'tactical', $5, $6, $7)`,
    [
      cohortId,
      version,
      `hash-${cohortId}-${version}`,
      definition,
      author,
      rationale,
      version === 1 ? 'create' : 'update',
    ],
  );

/** A snapshot holding exactly these customers, stored as compute stores it: sorted arrays per block. */
async function snapshot(
  snapshotId: string,
  runId: string,
  cohortId: string,
  definitionVersion: number,
  customers: string[],
) {
  await test.db.query(
    `INSERT INTO cohort_snapshots (snapshot_id, run_id, cohort_id, definition_version, as_of, source_watermarks, size, content_hash)
     VALUES ($1, $2, $3, $4, '2026-03-01', '{}', $5, $1)`,
    [snapshotId, runId, cohortId, definitionVersion, customers.length],
  );
  await test.db.query(
    `INSERT INTO snapshot_chunks (snapshot_id, block, members)
     SELECT $1, customer_no >> 16, array_agg(customer_no ORDER BY customer_no) FROM customers WHERE customer_id = ANY($2::text[]) GROUP BY 2`,
    [snapshotId, customers],
  );
}

beforeAll(async () => {
  test = await freshDatabase('governance_api');
  catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-governance-'));
  // The refresh routes are not exercised here: a lazy Temporal connection is never dialled.
  server = await listenApi(
    { db: test.db, catalogDir },
    {
      [TOKENS.analyst]: { user: 'ana', roles: ['analyst', 'viewer'] },
      [TOKENS.approver]: { user: 'adam', roles: ['approver', 'viewer'] },
      [TOKENS.viewer]: { user: 'vera', roles: ['viewer'] },
      [TOKENS.operator]: { user: 'otto', roles: ['operator', 'viewer'] },
    },
  );
  base = server.base;

  await run('run-notes');
  await definitionVersion('noted-cohort', 1, { id: 'noted-cohort' }, 'ana', 'a cohort to take notes on');
});

afterAll(async () => {
  await server.close();
  await test.drop();
  fs.rmSync(catalogDir, { recursive: true, force: true });
});

describe('notes on runs and cohorts', () => {
  it('refuses a note without a token', async () => {
    expect((await call('POST', '/runs/run-notes/notes', null, { text: 'no token' })).status).toBe(401);
  });

  it.each([
    ['a viewer', TOKENS.viewer, 'vera'],
    ['an operator', TOKENS.operator, 'otto'],
  ])('refuses a note from %s', async (_who, token, user) => {
    const { status, body } = await call('POST', '/runs/run-notes/notes', token, { text: 'not mine to write' });
    expect(status).toBe(403);
    expect(body.message).toBe(`${user} lacks the analyst or approver role`);
    expect((await call('GET', '/runs/run-notes/notes')).body.notes).toEqual([]);
  });

  it("stores an analyst's note on a run, and audits it", async () => {
    const { status, body } = await call('POST', '/runs/run-notes/notes', TOKENS.analyst, {
      text: '  The login drop is the holiday, not a bug.  ',
    });
    expect(status).toBe(201);
    expect(body).toMatchObject({
      runId: 'run-notes',
      cohortId: null,
      author: 'ana',
      text: 'The login drop is the holiday, not a bug.',
    });

    const trail = await call('GET', '/audit?run=run-notes');
    expect(trail.body.entries).toEqual([
      expect.objectContaining({
        runId: 'run-notes',
        actor: 'ana',
        action: 'note.added',
        details: { noteId: body.id, text: 'The login drop is the holiday, not a bug.' },
      }),
    ]);
  });

  it("stores an approver's note on a cohort, and lists the cohort's notes for a viewer", async () => {
    expect(
      (
        await call('POST', '/cohorts/noted-cohort/notes', TOKENS.approver, {
          text: 'Approved twice with high churn; watch it.',
        })
      ).status,
    ).toBe(201);
    const { status, body } = await call('GET', '/cohorts/noted-cohort/notes');
    expect(status).toBe(200);
    expect(body.notes.map((n: { author: string; text: string }) => [n.author, n.text])).toEqual([
      ['adam', 'Approved twice with high churn; watch it.'],
    ]);
  });

  it('answers 404 for an unknown run or cohort, storing nothing', async () => {
    const runAnswer = await call('POST', '/runs/run-nowhere/notes', TOKENS.analyst, { text: 'about nothing' });
    expect(runAnswer).toMatchObject({ status: 404, body: { message: 'no run "run-nowhere"' } });
    const cohortAnswer = await call('POST', '/cohorts/no-such-cohort/notes', TOKENS.analyst, { text: 'about nothing' });
    expect(cohortAnswer).toMatchObject({
      status: 404,
      body: { message: 'no cohort "no-such-cohort" has a recorded definition' },
    });
    expect((await call('GET', '/runs/run-nowhere/notes')).status).toBe(404);
    expect((await test.db.query(`SELECT 1 FROM learnings WHERE text = 'about nothing'`)).rowCount).toBe(0);
  });

  it.each([
    ['empty', '   ', 'write the note: text is empty'],
    ['too long', 'x'.repeat(4001), 'a note holds at most 4000 characters; link to a longer document'],
  ])('refuses a note whose text is %s, saying what and where', async (_label, text, message) => {
    const { status, body } = await call('POST', '/runs/run-notes/notes', TOKENS.analyst, { text });
    expect(status).toBe(400);
    expect(body.issues).toEqual([{ path: 'text', message }]);
  });

  it('refuses a note without text, naming the field', async () => {
    const { status, body } = await call('POST', '/runs/run-notes/notes', TOKENS.analyst, { note: 'wrong field' });
    expect(status).toBe(400);
    expect(body.issues.map((i: { path: string }) => i.path).sort()).toEqual(['', 'text']);
  });
});

describe('reading the audit log', () => {
  it('lets a viewer verify the chain', async () => {
    const rows = (await test.db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_log')).rows[0]!.n;
    expect(rows).toBeGreaterThan(0);
    expect(await call('GET', '/audit/verify')).toEqual({ status: 200, body: { ok: true, rows } });
  });

  it('lists the latest entries, oldest first, up to the limit', async () => {
    const { body } = await call('GET', '/audit?limit=2');
    expect(body.entries).toHaveLength(2);
    expect(body.entries[0].id).toBeLessThan(body.entries[1].id);
    const last = await test.db.query<{ id: number }>('SELECT max(id)::int AS id FROM audit_log');
    expect(body.entries[1].id).toBe(last.rows[0]!.id);
  });

  it('refuses a limit out of range with its path', async () => {
    const { status, body } = await call('GET', '/audit?limit=0');
    expect(status).toBe(400);
    expect(body.issues[0].path).toBe('limit');
  });

  it('refuses a reader without a token', async () => {
    expect((await call('GET', '/audit/verify', null)).status).toBe(401);
  });
});

describe("a cohort's history", () => {
  const V1 = {
    id: 'engaged-payers',
    rule: { all: [{ in_cohort: 'paying' }, { event: { type: 'login', within: '30d', count: { gte: 3 } } }] },
  };
  const V3 = {
    id: 'engaged-payers',
    rule: { all: [{ in_cohort: 'paying' }, { event: { type: 'login', within: '30d', count: { gte: 5 } } }] },
    owner: 'cs',
  };

  beforeAll(async () => {
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5', 'c6']) await addCustomer(test.db, id);
    // A customer in the second block of 65,536 numbers, so the diff crosses blocks.
    await test.db.query(
      `INSERT INTO customers (customer_id, customer_no, first_seen_at, updated_at) OVERRIDING SYSTEM VALUE VALUES ('c_far', 70001, now(), now())`,
    );

    await definitionVersion('engaged-payers', 1, V1, 'ana', 'first cut of engaged payers');
    await definitionVersion('engaged-payers', 2, { ...V1, owner: 'cs' }, 'bo', 'customer success owns it now');
    await definitionVersion('engaged-payers', 3, V3, 'ana', 'three logins let in occasional users');

    await run('run-h1', 'rita', 'first monthly refresh');
    await snapshot('snap-h1', 'run-h1', 'engaged-payers', 1, ['c1', 'c2', 'c3', 'c_far']);
    await test.db
      .query(`INSERT INTO published_versions (cohort_id, version, snapshot_id, previous_snapshot_id, run_id, approved_by, published_at)
                         VALUES ('engaged-payers', 1, 'snap-h1', NULL, 'run-h1', 'adam', '2026-02-01T06:00:00Z')`);

    await run('run-h2', 'rita', 'March refresh after the login threshold change');
    await snapshot('snap-h2', 'run-h2', 'engaged-payers', 3, ['c2', 'c3', 'c4', 'c5', 'c6']);
    await test.db
      .query(`INSERT INTO published_versions (cohort_id, version, snapshot_id, previous_snapshot_id, run_id, approved_by, published_at)
                         VALUES ('engaged-payers', 2, 'snap-h2', 'snap-h1', 'run-h2', 'adam', '2026-03-02T06:00:00Z')`);

    const check = (name: string, verdict: string, reason: string, subject?: string) => ({
      name,
      ...(subject ? { subject } : {}),
      verdict,
      reason,
      figures: {},
      thresholds: {},
    });
    await test.db.query(
      `INSERT INTO baseline_reports (run_id, cohort_id, snapshot_id, verdict, checks) VALUES ('run-h2', 'engaged-payers', 'snap-h2', 'fail', $1)`,
      [
        JSON.stringify([
          check('min_size', 'pass', '5 members, at least 1 required'),
          check('size_shift', 'warn', 'grew 25% (4 → 5)'),
          check('churn', 'fail', 'Jaccard 0.29, fail below 0.5'),
          check('drift', 'warn', 'PSI 0.21', 'plan'),
          check('drift', 'warn', 'PSI 0.12', 'country'),
          check('value_shift', 'fail', 'mean spend fell 40%'),
          check('blast_radius', 'warn', '3 destinations'),
        ]),
      ],
    );

    const decision = (actor: string, action: string, details: unknown) =>
      test.db.query(`INSERT INTO audit_log (run_id, actor, action, details) VALUES ('run-h2', $1, $2, $3)`, [
        actor,
        action,
        details,
      ]);
    await decision('rita', 'run.started', { rationale: 'March refresh' });
    await decision('adam', 'decision.approved', { via: 'update', comment: 'churn expected after the rule change' });
    await decision('carl', 'decision.approved', {
      via: 'update',
      comment: 'for the other cohort',
      cohorts: ['other-cohort'],
    });
    await decision('dora', 'decision.approved', {
      via: 'update',
      comment: null,
      cohorts: ['engaged-payers', 'other-cohort'],
    });

    await call('POST', '/runs/run-h1/notes', TOKENS.analyst, { text: 'February looked normal.' });
    await call('POST', '/runs/run-h2/notes', TOKENS.approver, { text: 'Churn came from the threshold, as planned.' });
    await call('POST', '/cohorts/engaged-payers/notes', TOKENS.analyst, { text: 'Compare with the spring campaign.' });
    // Written while version 1 was live (notes carry their own time).
    await test.db.query(
      `INSERT INTO learnings (cohort_id, author, text, at) VALUES ('engaged-payers', 'ana', 'Mid-February dip is billing lag.', '2026-02-15T12:00:00Z')`,
    );
  });

  const history = async () => (await call('GET', '/cohorts/engaged-payers/history')).body;

  it('lists every published version, newest first, with its run, requester and rationale', async () => {
    const { cohortId, versions } = await history();
    expect(cohortId).toBe('engaged-payers');
    expect(
      versions.map((v: any) => [v.version, v.publishedAt, v.runId, v.requestedBy, v.rationale, v.snapshotId]),
    ).toEqual([
      [2, '2026-03-02T06:00:00.000Z', 'run-h2', 'rita', 'March refresh after the login threshold change', 'snap-h2'],
      [1, '2026-02-01T06:00:00.000Z', 'run-h1', 'rita', 'first monthly refresh', 'snap-h1'],
    ]);
  });

  it('counts sizes, adds and removes against the snapshot each publish replaced', async () => {
    const [v2, v1] = (await history()).versions;
    expect(v2).toMatchObject({ size: 5, previousSize: 4, previousSnapshotId: 'snap-h1', adds: 3, removes: 2 });
    expect(v1).toMatchObject({ size: 4, previousSize: null, previousSnapshotId: null, adds: 4, removes: 0 });
  });

  it('shows the definition diff since the previous publish, with author, rationale and the versions in between', async () => {
    const [v2, v1] = (await history()).versions;
    expect(v2.definition).toMatchObject({
      version: 3,
      previousVersion: 1,
      changed: true,
      change: 'update',
      author: 'ana',
      rationale: 'three logins let in occasional users',
    });
    expect(v2.definition.diff).toEqual([
      { path: 'owner', after: 'cs' },
      { path: 'rule.all.1.event.count.gte', before: 3, after: 5 },
    ]);
    expect(v2.definition.recordedSince.map((r: any) => [r.version, r.author, r.rationale])).toEqual([
      [2, 'bo', 'customer success owns it now'],
      [3, 'ana', 'three logins let in occasional users'],
    ]);
    expect(v1.definition).toMatchObject({
      version: 1,
      previousVersion: null,
      changed: false,
      author: 'ana',
      diff: [],
      recordedSince: [],
    });
  });

  it("shows the run's decisions that concern this cohort, and who approved the publish", async () => {
    const [v2, v1] = (await history()).versions;
    expect(v2.approvedBy).toBe('adam');
    expect(v2.approvals.map((a: any) => [a.actor, a.action, a.comment, a.cohorts])).toEqual([
      ['adam', 'decision.approved', 'churn expected after the rule change', undefined],
      ['dora', 'decision.approved', null, ['engaged-payers', 'other-cohort']],
    ]);
    expect(v1.approvals).toEqual([]);
  });

  it('gives the top five reasons of the baseline report, fails before warns', async () => {
    const [v2, v1] = (await history()).versions;
    expect(v2.report).toEqual({
      verdict: 'fail',
      reasons: [
        { name: 'churn', verdict: 'fail', reason: 'Jaccard 0.29, fail below 0.5' },
        { name: 'value_shift', verdict: 'fail', reason: 'mean spend fell 40%' },
        { name: 'size_shift', verdict: 'warn', reason: 'grew 25% (4 → 5)' },
        { name: 'drift', subject: 'plan', verdict: 'warn', reason: 'PSI 0.21' },
        { name: 'drift', subject: 'country', verdict: 'warn', reason: 'PSI 0.12' },
      ],
    });
    expect(v1.report).toBeNull();
  });

  it("keeps each note with its run's version, or with the version live when it was written", async () => {
    const [v2, v1] = (await history()).versions;
    expect(v2.notes.map((n: any) => n.text)).toEqual([
      'Churn came from the threshold, as planned.',
      'Compare with the spring campaign.',
    ]);
    expect(v1.notes.map((n: any) => n.text)).toEqual(['Mid-February dip is billing lag.', 'February looked normal.']);
  });

  it('shows only the latest versions when asked for fewer', async () => {
    expect(
      (await call('GET', '/cohorts/engaged-payers/history?limit=1')).body.versions.map((v: any) => v.version),
    ).toEqual([2]);
  });

  it('answers an empty history for a recorded cohort never published, and 404 for an unknown one', async () => {
    expect((await call('GET', '/cohorts/noted-cohort/history')).body).toEqual({
      cohortId: 'noted-cohort',
      versions: [],
    });
    expect((await call('GET', '/cohorts/no-such-cohort/history')).status).toBe(404);
  });
});

describe('the governance commands', () => {
  it('prints a readable block per published version', async () => {
    const { code, stdout } = await cli(['cohorts', 'history', 'engaged-payers']);
    expect(code).toBe(0);
    const [newest, oldest] = stdout.split('\n\n');
    expect(newest!.split('\n')).toEqual(
      expect.arrayContaining([
        'engaged-payers version 2, published 2026-03-02T06:00:00.000Z by run run-h2',
        '  snapshot snap-h2: 5 members (previously 4), +3 added, -2 removed',
        '  definition v3 (was v1), update by ana: three logins let in occasional users',
        '    rule.all.1.event.count.gte: 3 → 5',
        '    fail churn: Jaccard 0.29, fail below 0.5',
      ]),
    );
    expect(oldest).toContain('engaged-payers version 1, published 2026-02-01T06:00:00.000Z by run run-h1');
  });

  it('adds a note only about one thing at a time', async () => {
    const { code, stderr } = await cli(['notes', 'add', '--text', 'about what?'], TOKENS.analyst);
    expect(code).toBe(1);
    expect(stderr).toContain('name what the note is about: --run <id> or --cohort <id> (one of them)');
  });

  it('reports an intact chain, and a broken one with its row and exit code 1', async () => {
    const intact = await cli(['audit', 'verify']);
    expect(intact.code).toBe(0);
    expect(intact.stdout).toMatch(/^audit chain intact: \d+ rows\n/);
    // This API signs no checkpoints, and says what that leaves unseen.
    expect(intact.stdout).toContain('no signed checkpoints were checked');

    // A superuser edits a row with the triggers off: the chain names it.
    const victim = (await test.db.query<{ id: number }>(`SELECT id FROM audit_log WHERE actor = 'carl'`)).rows[0]!.id;
    const client = new pg.Client({ connectionString: test.url });
    await client.connect();
    await client.query('SET session_replication_role = replica');
    await client.query(`UPDATE audit_log SET actor = 'adam' WHERE id = $1`, [victim]);
    await client.end();

    const broken = await cli(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(`audit chain BROKEN at row ${victim}: hash mismatch`);
  });
});
