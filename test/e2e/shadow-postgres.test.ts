import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { CheckResult, RefreshStatus } from '../../src/shared';
import type { ShadowReport } from '../../src/shadows/shadow-report';
import { replayRun } from '../../src/temporal/replay';
import { freshDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestSystem } from '../support/system';
import { devServerEnv } from '../support/temporal';

// Shadow definitions through the HTTP API on PostgreSQL and the Temporal dev server (each later
// refresh brings no new files: it computes the cohorts again over the data stored). A proposal
// for power-users runs beside the live rule in two refreshes (computed, tested, compared, never
// published), finishes by itself, and its promotion is an ordinary definition change that the
// next refresh takes to the approval gate with the shadow's runs attached.

const CATALOG = path.resolve(__dirname, '../../catalog');
const COHORT = 'power-users';
const TOKENS = {
  operator: crypto.randomBytes(24).toString('hex'),
  approver: crypto.randomBytes(24).toString('hex'),
  analyst: crypto.randomBytes(24).toString('hex'),
  viewer: crypto.randomBytes(24).toString('hex'),
};

let temporal: TestWorkflowEnvironment;
let db: TestDatabase;
let h: Awaited<ReturnType<typeof startTestSystem>>;
let catalogDir: string;

beforeAll(async () => {
  catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-shadow-catalog-'));
  fs.cpSync(CATALOG, catalogDir, { recursive: true });
  temporal = await devServerEnv();
  db = await freshDatabase('e2e_shadow');
  h = await startTestSystem({
    temporalAddress: temporal.connection.options.address,
    databaseUrl: db.url,
    env: {
      COHORTFLOW_CATALOG_DIR: catalogDir,
      COHORTFLOW_TOKENS: JSON.stringify({
        [TOKENS.operator]: { user: 'olivia', roles: ['operator', 'viewer'] },
        [TOKENS.approver]: { user: 'arthur', roles: ['approver', 'viewer'] },
        [TOKENS.analyst]: { user: 'ana', roles: ['analyst', 'viewer'] },
        [TOKENS.viewer]: { user: 'vera', roles: ['viewer'] },
      }),
    },
  });
});

afterAll(async () => {
  await h?.stop();
  await db?.drop();
  await temporal?.teardown();
  fs.rmSync(catalogDir, { recursive: true, force: true });
});

const liveFile = () => fs.readFileSync(path.join(catalogDir, `${COHORT}.yaml`), 'utf8');
/** A looser power-users: 15 active days and 30 feature uses instead of 20 and 40. */
const proposal = () =>
  liveFile()
    .replace('measure: { name: frequency, gte: 20 }', 'measure: { name: frequency, gte: 15 }')
    .replace('count: { gte: 40 }', 'count: { gte: 30 }');

const statusOf = (id: string) =>
  h.call('GET', `/refreshes/${id}`, TOKENS.viewer).then((r) => r.body as unknown as RefreshStatus);
const reportOf = () =>
  h.call('GET', `/cohorts/${COHORT}/shadow`, TOKENS.viewer).then((r) => r.body as unknown as ShadowReport);

/** The CLI as a person runs it, against this system's API with the given token. */
function cli(args: string[], token: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(COHORTFLOW_|API_PORT|TEMPORAL_)/.test(k)),
  );
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      {
        cwd: path.resolve(__dirname, '../..'),
        env: { ...clean, COHORTFLOW_API_URL: h.system.apiUrl, COHORTFLOW_TOKEN: token, LOG_LEVEL: 'warn' },
      },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A delivered member: the customer id, alone or among the destination's allowed fields. */
const idOf = (member: unknown) =>
  typeof member === 'string' ? member : (member as { customer_id: string }).customer_id;

/** A tactical refresh through the API, approved by arthur when it waits; its status at the gate (or its end) and at the end. */
async function refresh(rationale: string): Promise<{ id: string; atGate: RefreshStatus; done: RefreshStatus }> {
  const started = await h.call('POST', '/refreshes', TOKENS.operator, { tier: 'tactical', rationale });
  expect(started.status).toBe(202);
  const id = started.body.workflowId as string;
  const atGate = await eventually(
    () => statusOf(id),
    (s) => s.stage === 'awaiting-approval' || s.stage === 'done',
    `run ${id} at its gate`,
    180_000,
  );
  if (atGate.stage === 'awaiting-approval') {
    const approved = await h.call('POST', `/refreshes/${id}/approve`, TOKENS.approver, {
      comment: 'checked the figures and the shadow runs',
    });
    expect(approved.status).toBe(200);
  }
  const done = await eventually(
    () => statusOf(id),
    (s) => s.stage === 'done',
    `run ${id} to end`,
    180_000,
  );
  expect({ outcome: done.outcome, failure: done.failure }).toEqual({ outcome: 'published', failure: undefined });
  return { id, atGate, done };
}

/** Members of the run's live snapshot and of its shadow snapshot, read straight from the tables. */
async function membersOf(runId: string): Promise<{ live: Set<string>; shadow: Set<string> }> {
  const live = await db.db.query<{ customer_id: string }>(
    `SELECT m.customer_id FROM cohort_snapshots s JOIN snapshot_members m USING (snapshot_id)
     WHERE s.run_id = $1 AND s.cohort_id = $2`,
    [runId, COHORT],
  );
  const shadow = await db.db.query<{ customer_id: string }>(
    `SELECT c.customer_id FROM shadow_snapshots s JOIN shadow_snapshot_chunks k USING (snapshot_id)
     CROSS JOIN LATERAL unnest(k.members) AS n (customer_no) JOIN customers c ON c.customer_no = n.customer_no
     WHERE s.run_id = $1 AND s.cohort_id = $2`,
    [runId, COHORT],
  );
  return { live: new Set(live.rows.map((r) => r.customer_id)), shadow: new Set(shadow.rows.map((r) => r.customer_id)) };
}

describe('shadow definitions (PostgreSQL server, Temporal dev server)', () => {
  let first: string;
  let second: string;

  it('publishes the live catalog first (the event types a proposal names are known from the data)', async () => {
    const run = await refresh('the live catalog, before any shadow');
    expect(run.done.shadows).toBeUndefined();
  });

  it('refuses an invalid proposal with a 400 naming the field, and stores nothing', async () => {
    const broken = proposal().replace('type: feature_used', 'type: feature_usd');
    const answer = await h.call('POST', `/cohorts/${COHORT}/shadow`, TOKENS.analyst, {
      yaml: broken,
      runs: 2,
      rationale: 'a looser bar for power users',
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_definition');
    expect((answer.body.problems as string[]).join('\n')).toMatch(
      /power-users\.yaml:\d+: rule\.all\.2\.event\.type: unknown event type "feature_usd"/,
    );
    const runs = await h.call('POST', `/cohorts/${COHORT}/shadow`, TOKENS.analyst, {
      yaml: proposal(),
      runs: 0,
      rationale: 'a looser bar for power users',
    });
    expect(runs).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(JSON.stringify(runs.body.issues)).toMatch(/runs/);
    expect((await db.db.query('SELECT count(*)::int AS n FROM cohort_shadows')).rows[0].n).toBe(0);
    expect((await h.call('GET', `/cohorts/${COHORT}/shadow`, TOKENS.viewer)).status).toBe(404);
  });

  it('says what is wrong with a proposal given to the CLI, and exits 1', async () => {
    const file = path.join(catalogDir, '..', `shadow-proposal-${crypto.randomBytes(4).toString('hex')}.yml`);
    fs.writeFileSync(file, proposal().replace('count: { gte: 30 }', 'count: { gte: -5 }'));
    const run = await cli(
      ['cohorts', 'shadow', 'start', COHORT, file, '--runs', '2', '--rationale', 'a looser bar for power users'],
      TOKENS.analyst,
    );
    fs.rmSync(file);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rule\.all\.2\.event\.count\.gte/);
    expect((await db.db.query('SELECT count(*)::int AS n FROM cohort_shadows')).rows[0].n).toBe(0);
  });

  it('lets only analysts start a shadow', async () => {
    const body = { yaml: proposal(), runs: 2, rationale: 'a looser bar for power users' };
    expect((await h.call('POST', `/cohorts/${COHORT}/shadow`, TOKENS.viewer, body)).status).toBe(403);
    expect((await h.call('POST', `/cohorts/${COHORT}/shadow`, TOKENS.operator, body)).status).toBe(403);
    const started = await h.call('POST', `/cohorts/${COHORT}/shadow`, TOKENS.analyst, body);
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({
      cohortId: COHORT,
      status: 'active',
      runsPlanned: 2,
      runsRemaining: 2,
      startedBy: 'ana',
    });
    // The catalog keeps the live rule: a shadow is never written to the folder.
    expect(liveFile()).toMatch(/gte: 20/);
  });

  it('computes the shadow in a refresh beside the live cohort and never publishes or delivers it', async () => {
    const run = await refresh('first refresh with a shadow');
    first = run.id;
    const shadow = run.done.shadows?.find((s) => s.cohortId === COHORT);
    expect(shadow).toMatchObject({ status: 'active', runsRemaining: 1 });
    const { live, shadow: proposed } = await membersOf(first);
    expect(shadow!.liveSize).toBe(live.size);
    expect(shadow!.shadowSize).toBe(proposed.size);
    // The looser rule takes in more customers: the comparison has something to show.
    expect(proposed.size).toBeGreaterThan(live.size);

    const published = await db.db.query<{ snapshot_id: string }>(
      'SELECT snapshot_id FROM published_versions WHERE cohort_id = $1',
      [COHORT],
    );
    expect(published.rows.map((r) => r.snapshot_id).every((id) => id.startsWith('snap_'))).toBe(true);
    const current = await db.db.query<{ snapshot_id: string }>(
      'SELECT snapshot_id FROM cohort_current WHERE cohort_id = $1',
      [COHORT],
    );
    expect(current.rows[0]!.snapshot_id).toBe(run.done.cohorts.find((c) => c.cohortId === COHORT)!.snapshotId);
    // What the destination holds now, from every delivery it received: the live members, not the shadow's.
    const held = new Set<string>();
    const delivered: string[] = [];
    for (const d of h.receiver.received.filter((x) => x.body.data.cohortId === COHORT)) {
      d.body.data.adds.map(idOf).forEach((c) => (held.add(c), delivered.push(c)));
      d.body.data.removes.map(idOf).forEach((c) => held.delete(c));
    }
    expect(held).toEqual(live);
    expect(delivered.some((c) => proposed.has(c) && !live.has(c))).toBe(false);
  });

  it('reports overlap, adds and removes equal to a count made directly in SQL', async () => {
    const { live, shadow } = await membersOf(first);
    const overlap = [...shadow].filter((c) => live.has(c)).length;
    const report = await reportOf();
    const run = report.runs.find((r) => r.runId === first)!;
    expect(run).toMatchObject({
      liveSize: live.size,
      shadowSize: shadow.size,
      overlap,
      adds: shadow.size - overlap,
      removes: live.size - overlap,
      liveVerdict: expect.stringMatching(/^(pass|warn|fail)$/),
      verdict: expect.stringMatching(/^(pass|warn|fail)$/),
    });
    expect(run.jaccard).toBeCloseTo(overlap / (live.size + shadow.size - overlap), 3);
    expect(run.checks.map((c: CheckResult) => c.name)).toEqual(expect.arrayContaining(['min_size', 'churn', 'drift']));
    expect(run.kpis?.difference.revenuePerMember).toBeCloseTo(
      run.kpis!.shadow.revenuePerMember - run.kpis!.live.revenuePerMember,
      9,
    );
  });

  it('counts down with each refresh and finishes by itself after N', async () => {
    const run = await refresh('second refresh with a shadow');
    second = run.id;
    expect(run.done.shadows?.find((s) => s.cohortId === COHORT)).toMatchObject({
      runsRemaining: 0,
      status: 'finished',
    });
    const report = await reportOf();
    expect(report.shadow).toMatchObject({ status: 'finished', runsRemaining: 0 });
    expect(report.runs.map((r) => r.runId)).toEqual([first, second]);
    expect(await replayRun(temporal.client, second)).toEqual({ ok: true });

    const printed = await cli(['cohorts', 'shadow', 'report', COHORT], TOKENS.viewer);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/: finished, 2 of 2 refreshes run/);
    for (const r of report.runs)
      expect(printed.stdout).toMatch(
        new RegExp(
          `${r.runId}\\s+\\S+\\s+${r.liveSize}\\s+${r.shadowSize}\\s+${r.overlap}\\s+${r.adds}\\s+${r.removes}\\s`,
        ),
      );
    expect(printed.stdout).toMatch(/KPIs, shadow − live/);
  });

  it('promotes through the approval gate with the shadow report attached for the approvers', async () => {
    const promoted = await h.call('POST', `/cohorts/${COHORT}/shadow/promote`, TOKENS.analyst, {
      rationale: 'two refreshes show the looser bar keeps the heavy users and adds near misses',
    });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ created: true, shadow: { status: 'promoted' } });
    expect(liveFile()).toMatch(/gte: 15/);

    const run = await refresh('the promoted definition');
    expect(run.atGate.stage).toBe('awaiting-approval');
    expect(run.atGate.approval?.excluded).toEqual(expect.arrayContaining(['ana']));
    const flagged = run.atGate.reports.find((r) => r.cohortId === COHORT)!.checks;
    const change = flagged.find((c) => c.name === 'definition_change')!;
    expect(change.reason).toMatch(/promoted from shadow shadow_[0-9a-f]{12} after 2 shadow run\(s\)/);
    expect(run.done.shadows).toBeUndefined();

    const report = await h.call('GET', `/runs/${run.id}/report`, TOKENS.viewer);
    const cohort = (report.body.cohorts as Array<{ cohortId: string; checks: CheckResult[] }>).find(
      (c) => c.cohortId === COHORT,
    )!;
    const evidence = cohort.checks.find((c) => c.name === 'definition_change')!.details!.shadows!;
    expect(evidence).toHaveLength(1);
    expect(evidence[0]).toMatchObject({ proposedBy: 'ana', promotedBy: 'ana', version: promoted.body.version });
    expect(evidence[0]!.runs.map((r) => r.runId)).toEqual([first, second]);
  });

  it('stops an active shadow: audited, its report kept, and a stopped shadow is never promoted', async () => {
    const yaml = liveFile().replace('measure: { name: frequency, gte: 15 }', 'measure: { name: frequency, gte: 25 }');
    const started = await h.call('POST', `/cohorts/${COHORT}/shadow`, TOKENS.analyst, {
      yaml,
      runs: 3,
      rationale: 'a stricter bar, to compare',
    });
    expect(started.status).toBe(201);
    const again = await h.call('POST', `/cohorts/${COHORT}/shadow`, TOKENS.analyst, {
      yaml,
      runs: 3,
      rationale: 'a stricter bar, to compare',
    });
    expect(again).toMatchObject({ status: 409, body: { error: 'shadow_refused' } });
    const stopped = await h.call('POST', `/cohorts/${COHORT}/shadow/stop`, TOKENS.analyst, {
      reason: 'the looser bar was promoted instead',
    });
    expect(stopped).toMatchObject({ status: 200, body: { status: 'stopped', endedBy: 'ana', runsRemaining: 3 } });
    expect(
      (await h.call('POST', `/cohorts/${COHORT}/shadow/stop`, TOKENS.analyst, { reason: 'once more, please' })).status,
    ).toBe(409);
    const promote = await h.call('POST', `/cohorts/${COHORT}/shadow/promote`, TOKENS.analyst, {
      rationale: 'should be refused: it was stopped',
    });
    expect(promote).toMatchObject({ status: 409, body: { error: 'shadow_refused' } });
    expect((await reportOf()).shadow).toMatchObject({ shadowId: started.body.shadowId, status: 'stopped' });
    const audit = await db.db.query<{ action: string; actor: string }>(
      `SELECT action, actor FROM audit_log WHERE details->>'shadowId' = $1 ORDER BY id`,
      [started.body.shadowId],
    );
    expect(audit.rows).toEqual([
      { action: 'shadow.started', actor: 'ana' },
      { action: 'shadow.stopped', actor: 'ana' },
    ]);
  });
});
