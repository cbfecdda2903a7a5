import { execFile } from 'node:child_process';
import path from 'node:path';
import { connect, type Db } from '../../src/data/db';
import { ingestSources } from '../../src/ingest/ingest-sources';
import { generateSources } from '../../src/sources/generate';
import { createLogger } from '../../src/log';
import type { RefreshStatus } from '../../src/shared';
import { freshDatabase, type TestDatabase } from '../support/db';
import {
  restartablePostgres,
  restartableTemporal,
  type RestartablePostgres,
  type RestartableTemporal,
} from '../support/restartable-servers';
import { eventually, startTestSystem, TOKENS } from '../support/system';

// Faults on purpose, with real servers: `cohortflow start` (a child process, as people run it)
// against an external PostgreSQL and an external Temporal dev server, each taken away in the
// middle of a refresh and brought back. The process must stay up, say what is missing while it
// is, and finish the run by itself with nothing lost or doubled.

type Harness = Awaited<ReturnType<typeof startTestSystem>>;

/** Enough data that ingest and compute take a few seconds: the faults land inside them. */
const CUSTOMERS = 600;

let postgres: RestartablePostgres;
let temporal: RestartableTemporal;
let h: Harness;
let db: Db;
let reference: TestDatabase;

beforeAll(async () => {
  postgres = await restartablePostgres('outage-pg');
  temporal = await restartableTemporal('outage-temporal');
  h = await startTestSystem({
    temporalAddress: temporal.address,
    databaseUrl: postgres.url,
    asChildProcess: true,
    customers: CUSTOMERS,
  });
  db = connect(postgres.url);
  // The same files ingested once without any fault: what the outage run must end up holding.
  reference = await freshDatabase('outage_reference');
  await ingestSources(
    { db: reference.db, log: createLogger('silent') },
    { runId: 'reference', sourceDir: h.sourceDir },
  );
}, 300_000);

afterAll(async () => {
  await db?.close();
  await h?.stop();
  await reference?.drop();
  await temporal?.close();
  await postgres?.close();
});

const statusOf = async (id: string): Promise<RefreshStatus | undefined> => {
  const r = await h.call('GET', `/refreshes/${id}`, TOKENS.viewer).catch(() => undefined);
  return r?.status === 200 ? (r.body as unknown as RefreshStatus) : undefined;
};
const health = async () => {
  const r = await fetch(`${h.system.apiUrl}/health`).catch(() => undefined);
  return r ? { status: r.status, body: (await r.json()) as { checks: Record<string, { ok: boolean }> } } : undefined;
};
const running = (s: RefreshStatus | undefined, activities: string[]) =>
  s?.progress?.activities?.some((a) => activities.includes(a.activity) && a.state === 'started') ?? false;
const retried = (s: RefreshStatus | undefined, activities: string[]) =>
  s?.progress?.activities?.some((a) => activities.includes(a.activity) && a.attempt >= 2) ?? false;

/**
 * New contents for every source file before a later run, about as many rows as the first run's:
 * a run finding nothing new fails its volume check before compute.
 */
const newData = (seed: number) => generateSources(h.sourceDir, { customers: CUSTOMERS, days: 60, seed });

/** The CLI as a person runs it, pointed at this system the way the banner says. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    COHORTFLOW_API_URL: h.system.apiUrl,
    COHORTFLOW_TOKEN: TOKENS.viewer,
    TEMPORAL_ADDRESS: temporal.address,
  };
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: path.resolve(__dirname, '../..'), env },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  );
}

async function startRun(rationale: string): Promise<string> {
  const started = await h.call('POST', '/refreshes', TOKENS.operator, { rationale });
  expect(started.status).toBe(202);
  return started.body.workflowId as string;
}

const atGate = (id: string) =>
  eventually(
    () => statusOf(id),
    (s) => s?.stage === 'awaiting-approval' || s?.stage === 'done',
    'the approval gate',
    240_000,
  );

/** Ends a run at its gate: rejected, so the next scenario starts clean. */
async function reject(id: string): Promise<void> {
  expect((await h.call('POST', `/refreshes/${id}/reject`, TOKENS.approver, { comment: 'drill' })).status).toBe(200);
  await eventually(
    () => statusOf(id),
    (s) => s?.stage === 'done',
    'the rejection',
    60_000,
  );
}

/** Takes PostgreSQL away while one of `activities` runs, until Temporal shows it retrying, then brings it back. */
async function postgresOutageDuring(id: string, activities: string[]): Promise<void> {
  await eventually(
    () => statusOf(id),
    (s) => running(s, activities),
    `${activities.join(' or ')} running`,
    120_000,
  );
  await postgres.stopImmediately();
  const meanwhile = await eventually(health, (r) => r?.status === 503, '/health saying 503', 30_000);
  expect(meanwhile!.body.checks.postgres).toEqual({ ok: false, detail: 'unreachable' });
  const failing = await eventually(
    () => statusOf(id),
    (s) => retried(s, activities),
    'the activity retrying',
    60_000,
  );
  expect(failing!.progress!.activities!.find((a) => a.attempt >= 2)?.lastFailure).toBeDefined();
  expect(h.alive()).toBe(true);
  await postgres.start();
}

// Each drill may wait minutes for its run to reach the gate after the outage (retry backoff grows
// to a minute): the tests' own limit is longer than the waits inside them.
describe('PostgreSQL stopped (pg_ctl stop -m immediate) in the middle of a refresh', () => {
  it('during ingest: the process stays up and the run reaches its gate holding exactly the rows of an undisturbed ingest', async () => {
    const id = await startRun('drill: PostgreSQL away during ingest');
    await postgresOutageDuring(id, ['ingestSources']);

    const gate = await atGate(id);
    expect(gate?.stage).toBe('awaiting-approval');
    expect(h.alive()).toBe(true);
    const count = async (q: Db, sql: string) => (await q.query<{ n: number }>(sql)).rows[0]!.n;
    for (const sql of [
      'SELECT count(*)::int AS n FROM events',
      'SELECT count(*)::int AS n FROM quarantine',
      'SELECT count(*)::int AS n FROM customers',
      'SELECT count(*)::int AS n FROM ingested_files',
    ])
      expect([sql, await count(db, sql)]).toEqual([sql, await count(reference.db, sql)]);
    expect((await health())?.status).toBe(200);
    await reject(id);
  }, 400_000);

  it('during compute: the process stays up and every cohort is computed once', async () => {
    await newData(8);
    const id = await startRun('drill: PostgreSQL away during compute');
    await postgresOutageDuring(id, ['materialiseRunMeasures', 'computeCohort']);

    const gate = await atGate(id);
    expect(gate?.stage).toBe('awaiting-approval');
    expect(h.alive()).toBe(true);
    const snapshots = await db.query<{ cohort_id: string; size: number }>(
      'SELECT cohort_id, size FROM cohort_snapshots WHERE run_id = $1 ORDER BY cohort_id',
      [id],
    );
    expect(snapshots.rows.map((r) => r.cohort_id)).toEqual(gate!.cohorts.map((c) => c.cohortId).sort());
    for (const c of gate!.cohorts) expect(snapshots.rows.find((r) => r.cohort_id === c.cohortId)?.size).toBe(c.size);

    // What Prometheus sees of the run waiting at its gate, from Temporal's visibility and the status.
    const text = await (
      await fetch(`${h.system.apiUrl}/metrics`, { headers: { authorization: `Bearer ${TOKENS.viewer}` } })
    ).text();
    expect(text).toMatch(/^cohortflow_approvals_waiting 1$/m);
    const left = Number(
      new RegExp(`^cohortflow_approval_deadline_seconds\\{run_id="${id}"\\} (\\S+)$`, 'm').exec(text)?.[1],
    );
    expect(left).toBeGreaterThan(0);
    expect(text).toMatch(/^cohortflow_health\{check="worker"\} 1$/m);
    await reject(id);
  }, 400_000);
});

describe('the Temporal server killed in the middle of a refresh', () => {
  it('says 503 meanwhile, 200 once it is back, and the worker picks the run up and publishes it', async () => {
    await newData(9);
    const id = await startRun('drill: Temporal away during compute');
    await eventually(
      () => statusOf(id),
      (s) => running(s, ['materialiseRunMeasures', 'computeCohort']),
      'compute',
      120_000,
    );
    await temporal.kill();

    const meanwhile = await eventually(health, (r) => r?.status === 503, '/health saying 503', 30_000);
    expect(meanwhile!.body.checks.temporal).toMatchObject({ ok: false });
    expect(meanwhile!.body.checks.worker).toMatchObject({ ok: false });
    const status = await h.call('GET', `/refreshes/${id}`, TOKENS.viewer);
    expect(status).toMatchObject({ status: 503, body: { error: 'temporal_unavailable' } });
    expect(h.alive()).toBe(true);

    await temporal.start();
    await eventually(health, (r) => r?.status === 200, '/health back to 200', 120_000);
    const gate = await atGate(id);
    expect(gate?.stage).toBe('awaiting-approval');
    const approved = await h.call('POST', `/refreshes/${id}/approve`, TOKENS.approver, { comment: 'after the drill' });
    expect(approved.status).toBe(200);
    const done = await eventually(
      () => statusOf(id),
      (s) => s?.stage === 'done',
      'the publish',
      120_000,
    );
    expect(done?.outcome).toBe('published');
    expect(h.alive()).toBe(true);

    // Its history, outage included, replays against the current code; replay says so in one line.
    const replay = await cli(['replay', id]);
    expect(replay).toMatchObject({ code: 0, stdout: `replay of ${id}: ok, the current code reproduces its history\n` });
  }, 400_000);
});

describe('refresh watch', () => {
  it('follows a run live, step by step, until it waits for approval, then prints the summary', async () => {
    await newData(10);
    const id = await startRun('watched');
    const watched = await cli(['refresh', 'watch', id, '--interval', '0.5']);
    expect(watched.code).toBe(0);
    const lines = watched.stdout.split('\n');
    // Not a terminal: a line each time the progress changes, and one per stage it sees. Ingest and
    // compute of this small run can be over before the command's first look on a loaded machine:
    // at least one stage before the gate, with its progress line.
    const stages = lines.filter((l) => new RegExp(`  ${id}: [a-z-]+$`).test(l));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => /^ {2}(ingest|measures|cohorts|plan|baseline-test) /.test(l))).toBe(true);
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`  ${id}: awaiting-approval$`))]));
    expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^COHORT\s+TIER\s+SIZE\s+CHANGE\s+VERDICT/)]));
    await reject(id);
  }, 300_000);
});
