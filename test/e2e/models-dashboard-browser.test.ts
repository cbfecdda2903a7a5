import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Page } from 'playwright-core';
import type { RefreshStatus } from '../../src/shared';
import { fitModelVersion } from '../../src/scores/governance/fit-model';
import { claimProposals, decideProposals } from '../../src/scores/governance/model-versions';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { freshDatabase } from '../support/db';
import { addPurchasers } from '../support/purchasers';
import { eventually, startTestSystem, TOKENS } from '../support/system';
import { devServerEnv } from '../support/temporal';

// Model versions in the dashboard, in a real browser on the real stack (Temporal dev server,
// PostgreSQL, API, worker): a quarterly run fits new versions; the approver reads each one's
// promotion verdict and drift against the current version beside the gate, approves, and sees
// the outcome; the Models page lists the versions and shows one in full. Screenshots go to
// docs/screenshots when UPDATE_SCREENSHOTS=1, else to a temporary folder.

const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? path.resolve(__dirname, '../../docs/screenshots')
  : fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-shots-'));
const shoot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, name), fullPage: true });

let env: TestWorkflowEnvironment;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let h: Awaited<ReturnType<typeof startTestSystem>>;
let browser: TestBrowser;
let runId: string;
const problems: string[][] = [];

const statusOf = (id: string) =>
  h.call('GET', `/refreshes/${id}`, TOKENS.viewer).then((r) => r.body as unknown as RefreshStatus);

async function signedIn(token: string): Promise<Page> {
  const person = await browser.person(1280);
  problems.push(person.problems);
  const { page } = person;
  await page.goto(h.system.apiUrl);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
  return page;
}

const open = async (page: Page, hash: string) => {
  await page.goto(`${h.system.apiUrl}/${hash}`);
  await page.locator('main h1').waitFor();
};

beforeAll(async () => {
  env = await devServerEnv();
  db = await freshDatabase('models_dashboard');
  // Buyers a purchasing fit converges on, and a first version made current through a gate of its
  // own, so the quarterly run's new version has one to drift against.
  const now = new Date();
  await addPurchasers(db.db, { customers: 300, until: now, seed: 5, lifecycleStage: 'trial' });
  await fitModelVersion(db.db, { kind: 'purchasing', asOf: now, author: 'olivia', rationale: 'the first fit' });
  await claimProposals(db.db, 'earlier-quarterly-run');
  await decideProposals(db.db, { runId: 'earlier-quarterly-run', approved: true, by: 'arthur', approvers: ['arthur'] });

  h = await startTestSystem({ temporalAddress: env.connection.options.address, databaseUrl: db.url });
  browser = await launchBrowser();
  const started = await h.call('POST', '/refreshes', TOKENS.operator, {
    cadence: 'quarterly',
    tier: 'strategic',
    rationale: 'quarterly refit',
  });
  expect(started.status).toBe(202);
  runId = started.body.workflowId as string;
  await eventually(
    () => statusOf(runId),
    (s) => s.stage === 'awaiting-approval' || s.stage === 'done',
    'the quarterly run at its gate',
    240_000,
  );
}, 360_000);

afterAll(async () => {
  await browser?.close();
  await h?.stop();
  await db?.drop();
  await env?.teardown();
});

describe('model versions in the dashboard', () => {
  let arthur: Page;

  it("answers the run's proposals in GET /refreshes/:id, with the verdict and the drift against the current version", async () => {
    const s = await statusOf(runId);
    expect(s.stage).toBe('awaiting-approval');
    expect(s.models?.proposals).toContainEqual(
      expect.objectContaining({
        modelId: 'purchasing-v2',
        kind: 'purchasing',
        promotable: true,
        psi: expect.any(Number),
      }),
    );
  });

  it('shows the versions beside the gate with verdict and drift, and says what approving does to them', async () => {
    arthur = await signedIn(TOKENS.approver);
    await open(arthur, `#/runs/${runId}`);
    const row = arthur.locator('[data-testid="run-models"] tr[data-run-model="purchasing-v2"]');
    await row.waitFor();
    await expect(row.getByTestId('promotion').textContent()).resolves.toMatch(/^promotable both fits converged/);
    await expect(row.getByTestId('run-model-drift').textContent()).resolves.toMatch(
      /^PSI \d[\d.e-]* of clv_12m against purchasing-v1$/,
    );
    await expect(row.getByTestId('run-model-outcome').textContent()).resolves.toMatch(/waits for the decision/);
    // The training window comes from the version itself.
    await expect(row.locator('td').nth(1).textContent()).resolves.toMatch(/\d{4}.*–.*\d{4}/);
    await expect(arthur.getByTestId('gate-models').textContent()).resolves.toMatch(
      /Approving this run makes its promotable model versions current \(.*purchasing-v2/,
    );
    await shoot(arthur, 'run-models.png');
  });

  it('shows the outcome once the approver approves the run: the new version is current', async () => {
    await arthur.getByRole('button', { name: 'Submit decisions' }).click();
    await arthur.getByTestId('decision-outcome').filter({ hasText: 'Decision recorded' }).waitFor();
    await arthur
      .locator('tr[data-run-model="purchasing-v2"] [data-testid="run-model-outcome"]')
      .filter({ hasText: 'made current' })
      .waitFor({ timeout: 120_000 });
  });

  it('lists the versions by kind on the Models page and shows one in full', async () => {
    await open(arthur, '#/models');
    await expect(arthur.getByRole('link', { name: 'Models' }).getAttribute('aria-current')).resolves.toBe('page');
    const v2 = arthur.locator('tr[data-model="purchasing-v2"]');
    const v1 = arthur.locator('tr[data-model="purchasing-v1"]');
    await expect(v2.locator('td').first().textContent()).resolves.toBe('current');
    await expect(v1.locator('td').first().textContent()).resolves.toBe('retired');
    await expect(v1.locator('td').nth(1).textContent()).resolves.toBe('olivia');
    await expect(v2.textContent()).resolves.toMatch(/repeat buyers \d+/);
    await shoot(arthur, 'models.png');

    await v2.getByRole('link', { name: 'purchasing-v2' }).click();
    await arthur.locator('main h1', { hasText: 'Model purchasing-v2' }).waitFor();
    await expect(arthur.getByTestId('drift').textContent()).resolves.toMatch(
      /^PSI .* of clv_12m against purchasing-v1/,
    );
    await expect(arthur.getByTestId('parameters').textContent()).resolves.toMatch(/BG\/NBD r.*Gamma-Gamma q/);
    await expect(arthur.getByTestId('training-window').textContent()).resolves.toMatch(/\d{4}.*–.*\d{4}/);
    await expect(arthur.getByTestId('watermarks').textContent()).resolves.toMatch(/billing/);
    expect(problems.flat()).toEqual([]);
  });
});
