import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pg from 'pg';
import type { RefreshStatus } from '../../src/shared';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { freshDatabase, type TestDatabase } from '../support/db';
import { startDeliveryReceiver } from '../support/delivery-receiver';
import { eventually, startTestSystem, TOKENS } from '../support/system';
import { devServerEnv } from '../support/temporal';

// A refresh through the whole system (Temporal dev server, PostgreSQL, the API, real webhooks)
// with an experiment on one cohort: the publish records every member's arm, the activation
// webhook never receives a holdout member, the analysis webhook receives every member with its arm.

const ROOT = path.resolve(__dirname, '../..');
const SECRET = `whsec_${crypto.randomBytes(24).toString('base64')}`;
const COHORT = 'paying-customers';
let env: TestWorkflowEnvironment;
let db: TestDatabase;
let h: Awaited<ReturnType<typeof startTestSystem>>;
let crm: Awaited<ReturnType<typeof startDeliveryReceiver>>;
let research: Awaited<ReturnType<typeof startDeliveryReceiver>>;
let others: Awaited<ReturnType<typeof startDeliveryReceiver>>;
let browser: TestBrowser | undefined;
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-experiment-e2e-'));

/** The repository's catalog, with the experiment's cohort also sent to the analysis webhook. */
function catalogWithResearch(): string {
  const dir = path.join(home, 'catalog');
  fs.cpSync(path.join(ROOT, 'catalog'), dir, { recursive: true });
  const file = path.join(dir, `${COHORT}.yaml`);
  fs.writeFileSync(
    file,
    fs.readFileSync(file, 'utf8').replace('destinations: [crm-sync]', 'destinations: [crm-sync, research]'),
  );
  return dir;
}

function destinationsFile(): string {
  const webhook = (name: string, url: string, extra = '') =>
    `  - { name: ${name}, kind: webhook, purpose: product, url: "${url}", secretsEnv: [E2E_SECRET], allowPrivateNetwork: true${extra} }`;
  const file = path.join(home, 'destinations.yaml');
  fs.writeFileSync(
    file,
    [
      'destinations:',
      webhook('crm-sync', crm.url),
      webhook('research', research.url, ', use: analysis'),
      webhook('marketing-automation', others.url),
      webhook('support-desk', others.url),
      `  - { name: billing-dunning, kind: file, purpose: product, folder: "${path.join(home, 'exports')}" }`,
    ].join('\n'),
  );
  return file;
}

beforeAll(async () => {
  env = await devServerEnv();
  db = await freshDatabase('experiment_e2e');
  [crm, research, others] = await Promise.all([1, 2, 3].map(() => startDeliveryReceiver(SECRET)));
  // The destinations file names the variable holding the webhooks' secret; the worker reads it from its environment.
  process.env.E2E_SECRET = SECRET;
  h = await startTestSystem({
    temporalAddress: env.connection.options.address,
    databaseUrl: db.url,
    env: { COHORTFLOW_CATALOG_DIR: catalogWithResearch(), COHORTFLOW_DESTINATIONS_FILE: destinationsFile() },
  });
});

afterAll(async () => {
  await h?.stop();
  await Promise.all([crm, research, others].map((r) => r?.close()));
  await browser?.close();
  await db?.drop();
  await env?.teardown();
  delete process.env.E2E_SECRET;
  fs.rmSync(home, { recursive: true, force: true });
});

const statusOf = (id: string) =>
  h.call('GET', `/refreshes/${id}`, TOKENS.viewer).then((r) => r.body as unknown as RefreshStatus);

it('records every published member’s arm; the activation webhook never receives the holdout; the analysis webhook gets every member with its arm', async () => {
  const started = await h.call('POST', '/refreshes', TOKENS.operator, { tier: 'all', rationale: 'experiment check' });
  const id = started.body.workflowId as string;
  await eventually(
    () => statusOf(id),
    (s) => s.stage === 'awaiting-approval',
    'the approval gate',
  );

  // While the run waits at its gate (the cohort's definition is recorded by then), an operator
  // starts the experiment; its members get their arms when this run publishes.
  const created = await h.call('POST', '/experiments', TOKENS.operator, {
    yaml: fs
      .readFileSync(path.join(ROOT, 'examples/experiments/winback-email.yaml'), 'utf8')
      .replace(/^id: .*$/m, 'id: paying-e2e')
      .replace(/^cohort: .*$/m, `cohort: ${COHORT}`),
    rationale: 'end-to-end experiment on paying customers',
  });
  expect(created.status).toBe(201);

  expect((await h.call('POST', `/refreshes/${id}/approve`, TOKENS.approver, { comment: 'fine' })).status).toBe(200);
  const done = await eventually(
    () => statusOf(id),
    (s) => s.stage === 'done',
    'the publish',
  );
  expect(done.outcome).toBe('published');

  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    const members = await client.query<{ customer_id: string }>(
      'SELECT m.customer_id FROM cohort_current c JOIN snapshot_members m USING (snapshot_id) WHERE c.cohort_id = $1',
      [COHORT],
    );
    const assigned = await client.query<{ customer_id: string; arm: string; run_id: string }>(
      "SELECT customer_id, arm, run_id FROM experiment_assignments WHERE experiment_id = 'paying-e2e'",
    );
    const arm = new Map(assigned.rows.map((r) => [r.customer_id, r.arm]));
    expect(members.rows.length).toBeGreaterThan(10);
    expect(assigned.rows.map((r) => r.customer_id).sort()).toEqual(members.rows.map((r) => r.customer_id).sort());
    expect(new Set(assigned.rows.map((r) => r.run_id))).toEqual(new Set([id]));
    const holdout = assigned.rows.filter((r) => r.arm === 'holdout').map((r) => r.customer_id);
    expect(holdout.length).toBeGreaterThan(0);
    // Adaptive: the first publish has nobody measured yet, so the shares stay (recorded as such).
    const decisions = await client.query(
      "SELECT decision FROM experiment_reallocations WHERE experiment_id = 'paying-e2e'",
    );
    expect(decisions.rows).toEqual([{ decision: 'warming-up' }]);

    const activation = [...crm.accepted.values()].filter((b) => b.cohortId === COHORT);
    const activated = activation.flatMap((b) => b.adds.map((r) => r.customer_id as string));
    expect(activated.length).toBeGreaterThan(0);
    expect(activated.filter((c) => holdout.includes(c))).toEqual([]);
    expect(activated.sort()).toEqual(
      members.rows
        .map((r) => r.customer_id)
        .filter((c) => !holdout.includes(c))
        .sort(),
    );

    const analysed = [...research.accepted.values()].filter((b) => b.cohortId === COHORT).flatMap((b) => b.adds);
    expect(analysed.map((r) => [r.customer_id, r.arm]).sort()).toEqual(
      members.rows.map((r) => [r.customer_id, arm.get(r.customer_id)]).sort(),
    );
  } finally {
    await client.end();
  }
});

it('shows the experiment in the dashboard: its arms with their sizes, the comparison and the split check', async () => {
  browser = await launchBrowser();
  const { page, problems } = await browser.person(1280);
  await page.goto(h.system.apiUrl);
  await page.getByLabel('API token').fill(TOKENS.viewer);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
  await page.getByRole('link', { name: 'Experiments' }).click();
  await page.getByRole('link', { name: 'paying-e2e' }).click();
  await page.getByRole('heading', { name: 'Experiment paying-e2e' }).waitFor();

  const report = (await h.call('GET', '/experiments/paying-e2e/report', TOKENS.viewer)).body as {
    arms: { arm: string; assigned: number }[];
  };
  for (const a of report.arms)
    expect(await page.locator(`tr[data-arm="${a.arm}"] td`).first().textContent()).toBe(
      a.assigned.toLocaleString('en-US'),
    );
  expect(await page.locator('[data-sample-ratio]').getAttribute('data-sample-ratio')).toBe('healthy');
  // Nobody's 30-day window has closed yet: the page says so instead of comparing.
  await page.getByText('not enough measured members to compare yet', { exact: false }).first().waitFor();
  await page.locator('[data-reallocation]').getByText('warming-up', { exact: false }).waitFor();
  expect(problems).toEqual([]);
});
