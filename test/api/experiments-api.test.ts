import { execFile } from 'node:child_process';
import path from 'node:path';
import { compareProportions } from '../../src/experiments/statistics/proportions';
import { publishSnapshots } from '../../src/publishing/publish';
import { listenApi, type ListeningApi } from '../support/api';
import { addCustomer } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { customerIds, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

// Experiments over real HTTP and through the CLI: operators create and stop them, viewers list
// them, read reports and plan sample sizes; bad input is a 400 naming the field and changes nothing.

const ROOT = path.resolve(__dirname, '../..');
const TOKENS = { operator: 'experiments-operator-0123456789', viewer: 'experiments-viewer-0123456789' };
const DAY = 86_400_000;
let test: TestDatabase;
let api: ListeningApi;

const yaml = (
  id: string,
  cohort: string,
  arms = '[{ id: holdout, share: 0.2, holdout: true }, { id: email, share: 0.8 }]',
) =>
  `id: ${id}
cohort: ${cohort}
hypothesis: An e-mail brings customers to purchase within a week more often.
owner: lifecycle
salt: salt-${id}-0001
arms: ${arms}
kpi: { kind: conversion, event: purchase, withinDays: 7 }
`;

async function call(method: string, route: string, token: string | null, body?: unknown) {
  const response = await fetch(`${api.base}${route}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

function cli(args: string[], token = TOKENS.viewer): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(COHORTFLOW_|API_PORT)/.test(k)));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      { cwd: ROOT, env: { ...clean, COHORTFLOW_API_URL: api.base, COHORTFLOW_TOKEN: token, LOG_LEVEL: 'warn' } },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const experimentRows = async () => (await test.db.query('SELECT experiment_id FROM experiments')).rowCount;

beforeAll(async () => {
  test = await freshDatabase('experiments_api');
  for (const id of customerIds('m', 1, 200)) await addCustomer(test.db, id);
  await recordVersion(test.db, 'buyers', 1, { tier: 'tactical' }, { author: 'dana' });
  await recordVersion(test.db, 'lapsed', 1, { tier: 'tactical' }, { author: 'dana' });
  await test.db.query("INSERT INTO event_types (event_type) VALUES ('purchase'), ('login')");
  api = await listenApi(
    { db: test.db, catalogDir: '/nonexistent' },
    {
      [TOKENS.operator]: { user: 'olga', roles: ['operator', 'viewer'] },
      [TOKENS.viewer]: { user: 'vera', roles: ['viewer'] },
    },
  );
});
afterAll(async () => {
  await api.close();
  await test.drop();
});

describe('POST /experiments', () => {
  it('needs a token and the operator role, and creates nothing otherwise', async () => {
    const body = { yaml: yaml('email-test', 'buyers'), rationale: 'does the e-mail bring buyers back' };
    expect((await call('POST', '/experiments', null, body)).status).toBe(401);
    expect(await call('POST', '/experiments', TOKENS.viewer, body)).toMatchObject({
      status: 403,
      body: { message: 'vera lacks the operator role' },
    });
    expect(await experimentRows()).toBe(0);
  });

  it('answers 400 naming the field: shares that do not add up, a missing rationale; nothing created', async () => {
    const bad = await call('POST', '/experiments', TOKENS.operator, {
      yaml: yaml('email-test', 'buyers', '[{ id: holdout, share: 0.2, holdout: true }, { id: email, share: 0.7 }]'),
      rationale: 'does the e-mail bring buyers back',
    });
    expect(bad).toMatchObject({ status: 400, body: { error: 'invalid_definition' } });
    expect(bad.body.problems).toEqual([
      expect.stringMatching(/^experiment\.yaml:6: arms: the arms' shares must add up to 1, they add up to 0\.9/),
    ]);
    expect(
      await call('POST', '/experiments', TOKENS.operator, { yaml: yaml('email-test', 'buyers'), rationale: '' }),
    ).toMatchObject({ status: 400, body: { issues: [{ path: 'rationale' }] } });
    expect(await experimentRows()).toBe(0);
  });

  it('answers 400 for a KPI event type never ingested (a typo would measure nothing)', async () => {
    const typo = await call('POST', '/experiments', TOKENS.operator, {
      yaml: yaml('email-test', 'buyers').replace('event: purchase', 'event: purhcase'),
      rationale: 'does the e-mail bring buyers back',
    });
    expect(typo).toMatchObject({
      status: 400,
      body: {
        problems: ['experiment.yaml: kpi.event: no "purhcase" event has been ingested (known: login, purchase)'],
      },
    });
    expect(await experimentRows()).toBe(0);
  });

  it('answers 404 for a cohort without a recorded definition', async () => {
    expect(
      await call('POST', '/experiments', TOKENS.operator, {
        yaml: yaml('email-test', 'no-such-cohort'),
        rationale: 'does the e-mail bring buyers back',
      }),
    ).toMatchObject({ status: 404, body: { message: 'no cohort "no-such-cohort" has a recorded definition' } });
  });

  it('creates the experiment, audited, and refuses a second running one on the cohort', async () => {
    const created = await call('POST', '/experiments', TOKENS.operator, {
      yaml: yaml('email-test', 'buyers'),
      rationale: 'does the e-mail bring buyers back',
    });
    expect(created).toMatchObject({ status: 201, body: { id: 'email-test', cohort: 'buyers', status: 'running' } });
    expect(created.body.salt).toBeUndefined();
    const audit = await test.db.query("SELECT actor, details FROM audit_log WHERE action = 'experiment.created'");
    expect(audit.rows).toEqual([
      { actor: 'olga', details: expect.objectContaining({ experimentId: 'email-test', cohortId: 'buyers' }) },
    ]);
    expect(JSON.stringify(audit.rows)).not.toContain('salt-email-test');
    expect(
      await call('POST', '/experiments', TOKENS.operator, {
        yaml: yaml('another-test', 'buyers'),
        rationale: 'a second one on the same cohort',
      }),
    ).toMatchObject({ status: 409, body: { error: 'experiment_conflict' } });
  });
});

describe('GET /experiments/:id/report', () => {
  it('measures each arm after its assignment and compares it with the holdout, through the API and the CLI', async () => {
    await registerRun(test.db, 'refresh-exp-1', '2026-11-01T06:00:00Z');
    const members = customerIds('m', 1, 200);
    const snapshotId = await storeSnapshot(test.db, {
      runId: 'refresh-exp-1',
      cohortId: 'buyers',
      version: 1,
      asOf: '2026-11-01T06:00:00Z',
      customerIds: members,
    });
    await publishSnapshots(test.db, { runId: 'refresh-exp-1', snapshotIds: [snapshotId], approvedBy: 'alex' });
    const { rows } = await test.db.query<{ customer_id: string; arm: string; assigned_at: Date }>(
      "SELECT customer_id, arm, assigned_at FROM experiment_assignments WHERE experiment_id = 'email-test'",
    );
    // Every third member purchases two days after assignment; every fifth one only after its window.
    for (const [i, r] of rows.entries()) {
      const at = (days: number) => new Date(r.assigned_at.getTime() + days * DAY);
      const when = i % 3 === 0 ? at(2) : i % 5 === 0 ? at(9) : null;
      if (when)
        await test.db.query(
          "INSERT INTO events (source, event_id, customer_id, event_type, occurred_at, ingested_at) VALUES ('billing', $1, $2, 'purchase', $3, $3)",
          [`e-${r.customer_id}`, r.customer_id, when],
        );
    }
    const asOf = new Date(rows[0]!.assigned_at.getTime() + 10 * DAY).toISOString();
    const expected = (arm: string) => {
      const inArm = rows.map((r, i) => ({ ...r, i })).filter((r) => r.arm === arm);
      return { n: inArm.length, successes: inArm.filter((r) => r.i % 3 === 0).length };
    };

    const report = await call('GET', `/experiments/email-test/report?asOf=${encodeURIComponent(asOf)}`, TOKENS.viewer);
    expect(report.status).toBe(200);
    expect(report.body.arms.map((a: any) => [a.arm, a.assigned, a.measured, a.successes])).toEqual([
      ['holdout', expected('holdout').n, expected('holdout').n, expected('holdout').successes],
      ['email', expected('email').n, expected('email').n, expected('email').successes],
    ]);
    const comparison = compareProportions(expected('holdout'), expected('email'), 0.05);
    expect(report.body.comparisons[0].figures.pValue).toBeCloseTo(comparison.pValue!, 12);
    expect(report.body.comparisons[0].figures.absoluteLiftInterval).toEqual(comparison.absoluteLiftInterval);
    expect(report.body.sampleRatio).toMatchObject({ degreesOfFreedom: 1, mismatch: false });

    // Before anyone's window has closed, nobody is measured: counted in size only.
    const early = await call('GET', '/experiments/email-test/report', TOKENS.viewer);
    expect(early.body.arms.map((a: any) => a.measured)).toEqual([0, 0]);

    const shown = await cli(['experiments', 'report', 'email-test', '--as-of', asOf]);
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toMatch(/^holdout \(holdout\)\s+\d+\s+\d+\s+\d+\.\d\d%$/m);
    expect(shown.stdout).toMatch(/^email\s+holdout\s+-?\d+\.\d\d pp \[/m);
    expect(shown.stdout).toContain('sample ratio: χ² = ');
  });

  it('answers 404 for an unknown experiment and 400 for a bad asOf', async () => {
    expect((await call('GET', '/experiments/nope-nope/report', TOKENS.viewer)).status).toBe(404);
    expect(await call('GET', '/experiments/email-test/report?asOf=yesterday', TOKENS.viewer)).toMatchObject({
      status: 400,
      body: { issues: expect.arrayContaining([{ path: 'asOf', message: 'Invalid ISO datetime' }]) },
    });
  });
});

describe('listing, stopping and planning', () => {
  it('lists experiments for viewers, through the CLI too', async () => {
    const listed = await call('GET', '/experiments', TOKENS.viewer);
    expect(listed.body.experiments.map((e: any) => e.id)).toEqual(['email-test']);
    const shown = await cli(['experiments', 'list']);
    expect(shown.stdout).toMatch(/^email-test\s+buyers\s+running\s+holdout\* 0\.2, email 0\.8\s+conversion/m);
  });

  it('plans the sample size, and names the field that is wrong', async () => {
    expect(await call('GET', '/experiments/plan?baselineRate=0.05&mde=0.01&power=0.8', TOKENS.viewer)).toMatchObject({
      status: 200,
      body: { treatment: 8158, control: 8158 },
    });
    expect(await call('GET', '/experiments/plan?baselineRate=0.05&mde=0', TOKENS.viewer)).toMatchObject({
      status: 400,
      body: { issues: [{ path: 'mde' }] },
    });
    const shown = await cli(['experiments', 'plan', '--baseline-rate', '0.05', '--mde', '0.01', '--power', '0.8']);
    expect(shown.stdout).toContain('treatment 8,158 members, control 8,158');
  });

  it('stops an experiment, audited, once', async () => {
    expect(
      await call('POST', '/experiments/email-test/stop', TOKENS.operator, { reason: 'the answer is clear now' }),
    ).toMatchObject({ status: 200, body: { status: 'stopped', stoppedBy: 'olga' } });
    expect(
      await call('POST', '/experiments/email-test/stop', TOKENS.operator, { reason: 'the answer is clear now' }),
    ).toMatchObject({ status: 409 });
    const audit = await test.db.query("SELECT actor FROM audit_log WHERE action = 'experiment.stopped'");
    expect(audit.rows).toEqual([{ actor: 'olga' }]);
  });
});
