import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Page } from 'playwright-core';
import type { RefreshStatus } from '../../src/shared';
import { generateSources } from '../../src/sources/generate';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { freshDatabase } from '../support/db';
import { eventually, startTestSystem, TOKENS } from '../support/system';
import { devServerEnv } from '../support/temporal';

// The dashboard in a real browser (Debian's Chromium through playwright-core) on the real stack:
// the Temporal dev server, PostgreSQL, the API serving the page, and an independent webhook
// receiver. Two refreshes: the first is published through the API; the second, asked for by
// rhea (an operator who is also an approver) after new data and a definition made to fail its
// minimum size, is decided in the browser. Screenshots go to docs/screenshots when
// UPDATE_SCREENSHOTS=1, else to a temporary folder.

const RHEA = crypto.randomBytes(24).toString('hex');
const WATCHED = 'paying-customers';
const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? path.resolve(__dirname, '../../docs/screenshots')
  : fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-shots-'));

let env: TestWorkflowEnvironment;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let h: Awaited<ReturnType<typeof startTestSystem>>;
let browser: TestBrowser;
let catalogDir: string;
let runId: string;
/** The tactical cohort made to fail its minimum size, then held back: one that has members. */
let HELD: string;
const problems: string[][] = [];

const statusOf = (id: string) =>
  h.call('GET', `/refreshes/${id}`, TOKENS.viewer).then((r) => r.body as unknown as RefreshStatus);

async function refresh(token: string, rationale: string): Promise<string> {
  const started = await h.call('POST', '/refreshes', token, { rationale });
  expect(started.status).toBe(202);
  return started.body.workflowId as string;
}

/** A person with a browser context of their own, signed in with their token. */
async function signedIn(token: string, width = 1280, shot?: string): Promise<Page> {
  const person = await browser.person(width);
  problems.push(person.problems);
  const { page } = person;
  await page.goto(h.system.apiUrl);
  await page.getByLabel('API token').fill(token);
  if (shot) await page.screenshot({ path: path.join(SHOTS, shot) });
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
  return page;
}

const shoot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
const open = async (page: Page, hash: string) => {
  await page.goto(`${h.system.apiUrl}/${hash}`);
  await page.locator('main h1').waitFor();
};

beforeAll(async () => {
  env = await devServerEnv();
  db = await freshDatabase('dashboard_e2e');
  catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-catalog-'));
  fs.cpSync(path.resolve(__dirname, '../../catalog'), catalogDir, { recursive: true });
  h = await startTestSystem({
    temporalAddress: env.connection.options.address,
    databaseUrl: db.url,
    env: {
      COHORTFLOW_CATALOG_DIR: catalogDir,
      TEMPORAL_UI_URL: 'http://127.0.0.1:8233',
      COHORTFLOW_TOKENS: JSON.stringify({
        [TOKENS.operator]: { user: 'olivia', roles: ['operator', 'viewer'] },
        [TOKENS.approver]: { user: 'arthur', roles: ['approver', 'viewer'] },
        [TOKENS.viewer]: { user: 'vera', roles: ['viewer'] },
        [RHEA]: { user: 'rhea', roles: ['operator', 'approver', 'viewer'] },
      }),
    },
  });
  browser = await launchBrowser();

  // The first publish, through the API as the CLI does it.
  const first = await refresh(TOKENS.operator, 'first publish');
  const gated = await eventually(
    () => statusOf(first),
    (s) => s.stage === 'awaiting-approval' || s.stage === 'done',
    'the first run at its gate',
    120_000,
  );
  if (gated.stage === 'awaiting-approval')
    expect(
      (await h.call('POST', `/refreshes/${first}/approve`, TOKENS.approver, { comment: 'first look' })).status,
    ).toBe(200);
  await eventually(
    () => statusOf(first),
    (s) => s.stage === 'done',
    'the first publish',
    120_000,
  );

  // New data (so the volume check passes and members move), and a minimum size no cohort meets.
  await generateSources(h.sourceDir, { customers: 200, days: 60, seed: 8 });
  const published = (await statusOf(first)).cohorts;
  HELD = published
    .filter((c) => c.tier === 'tactical' && c.size >= 5)
    .map((c) => c.cohortId)
    .find((id) => /minSize: \d+/.test(fs.readFileSync(path.join(catalogDir, `${id}.yaml`), 'utf8')))!;
  const file = path.join(catalogDir, `${HELD}.yaml`);
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/minSize: \d+/, 'minSize: 100000'));
  runId = await refresh(RHEA, 'after new billing data');
}, 360_000);

afterAll(async () => {
  await browser?.close();
  await h?.stop();
  await db?.drop();
  await env?.teardown();
  fs.rmSync(catalogDir, { recursive: true, force: true });
});

describe('the dashboard in a browser', () => {
  let arthur: Page;
  let sizePointsBefore: number;

  it('signs an approver in, who follows the run live until it waits at the gate, and finds it in the runs list', async () => {
    arthur = await signedIn(TOKENS.approver, 1280, 'sign-in.png');
    await expect(arthur.getByTestId('signed-in-as').textContent()).resolves.toMatch(/arthur.*approver · viewer/);

    await open(arthur, `#/runs/${runId}`);
    // No reload: the page polls while a stage runs.
    await arthur.getByTestId('live-stage').filter({ hasText: 'Stage awaiting-approval' }).waitFor({ timeout: 180_000 });
    await expect(arthur.locator('.timeline [data-stage="compute"] .stage-state').textContent()).resolves.toBe('done');

    await open(arthur, '#/runs?stage=awaiting-approval');
    const row = arthur.locator(`tr[data-run="${runId}"]`);
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/rhea.*cohorts? waiting.*left/);
    await expect(row.getByRole('link', { name: /Temporal Web UI/ }).getAttribute('href')).resolves.toBe(
      `http://127.0.0.1:8233/namespaces/default/workflows/${runId}`,
    );
    await shoot(arthur, 'runs.png');
  }, 240_000);

  it("refuses the requester's approve with the four-eyes reason, on the page", async () => {
    const rhea = await signedIn(RHEA);
    await open(rhea, `#/runs/${runId}`);
    await rhea.getByText('under four eyes the server will refuse your decision').waitFor();
    await rhea.getByRole('button', { name: 'Submit decisions' }).click();
    const refusal = rhea.getByTestId('decision-outcome');
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toMatch(
      /refused: rhea requested this run and cannot decide it \(four eyes\)/,
    );
    await expect(refusal.getAttribute('role')).resolves.toBe('alert');
    await shoot(rhea, 'four-eyes-refusal.png');
    expect((await statusOf(runId)).stage).toBe('awaiting-approval');
  });

  it('shows a viewer no decision buttons, and refuses a forged form post without the CSRF token', async () => {
    const vera = await signedIn(TOKENS.viewer);
    await open(vera, `#/runs/${runId}`);
    await vera.getByText('You have no approver role').waitFor();
    await expect(vera.getByRole('button', { name: 'Submit decisions' }).count()).resolves.toBe(0);
    await expect(vera.getByRole('button', { name: 'Reject the whole run' }).count()).resolves.toBe(0);
    await shoot(vera, 'run-as-viewer.png');

    // A plain HTML form posted with the session cookie, as a forged page would: refused before
    // anything is read, for the viewer and for an approver alike.
    const forge = async (page: Page) => {
      const answer = page.waitForResponse((r) => r.url().endsWith(`/refreshes/${runId}/approve`));
      // Runs in the page (the browser's DOM), written as source since this file is typed for node.
      await page.evaluate(`(() => {
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = '/refreshes/${runId}/approve';
        const comment = document.createElement('input');
        comment.name = 'comment';
        comment.value = 'forged';
        form.append(comment);
        document.body.append(form);
        form.submit();
      })()`);
      const response = await answer;
      return { status: response.status(), body: (await response.json()) as { error: string } };
    };
    expect(await forge(vera)).toEqual({ status: 403, body: expect.objectContaining({ error: 'csrf_failed' }) });
    const forgedPage = await arthur.context().newPage();
    await forgedPage.goto(`${h.system.apiUrl}/#/runs`);
    await forgedPage.locator('main h1').waitFor();
    expect(await forge(forgedPage)).toEqual({ status: 403, body: expect.objectContaining({ error: 'csrf_failed' }) });
    await forgedPage.close();
    expect((await statusOf(runId)).decisions ?? []).toEqual([]);
  });

  it('shows the approver a failing check and the drift chart; holding one cohort back and approving the rest delivers exactly those', async () => {
    await open(arthur, `#/cohorts/${WATCHED}`);
    const sizeChart = arthur.getByTestId('cohort-size-chart');
    await sizeChart.waitFor();
    sizePointsBefore = Number(await sizeChart.getAttribute('data-points'));
    expect(sizePointsBefore).toBe(1);

    await open(arthur, `#/runs/${runId}`);
    const held = arthur.locator(`details[data-cohort="${HELD}"]`);
    await held.locator('summary').click();
    await held.locator('table.checks').waitFor();
    const minSize = held.locator('tr[data-check="min_size"]');
    await expect(minSize.locator('.badge').textContent()).resolves.toBe('fail');
    await expect(minSize.textContent()).resolves.toMatch(/minSize 100,000/);
    const drift = held.getByTestId(`drift-chart-${HELD}`);
    await drift.locator('canvas').waitFor();
    await expect(drift.locator('figcaption').textContent()).resolves.toMatch(/PSI per attribute/);
    await expect(drift.locator('table.sr-only tbody tr').count()).resolves.toBe(5);
    await held.getByTestId(`size-chart-${HELD}`).locator('canvas').waitFor();
    await shoot(arthur, 'run.png');

    const before = await statusOf(runId);
    const waiting = before.approval!.cohorts.filter((c) => c.state === 'waiting').map((c) => c.cohortId);
    expect(waiting).toContain(HELD);
    expect(waiting).toContain(WATCHED);
    await arthur.getByLabel(`Decision for ${HELD}`).selectOption('hold');
    await arthur.getByLabel(/^Comment/).fill(`${HELD} fails its minimum size; the rest look right`);
    await arthur.getByRole('button', { name: 'Submit decisions' }).click();
    await arthur.getByTestId('decision-outcome').filter({ hasText: 'Decision recorded' }).waitFor();
    await shoot(arthur, 'run-decided.png');

    const done = await eventually(
      () => statusOf(runId),
      (s) => s.stage === 'done',
      'the publish',
      120_000,
    );
    expect(done.outcome).toBe('published');
    const published = done
      .approval!.cohorts.filter((c) => c.state === 'approved' || c.state === 'auto')
      .map((c) => c.cohortId);
    const delivered = h.receiver.received.filter((d) => d.body.data.runId === runId);
    expect(delivered.every((d) => d.verified)).toBe(true);
    // A version that changes nothing for the webhook sends it nothing (its delivery is acknowledged
    // with 0 batches); every other published cohort reached the receiver.
    const changed = await db.db.query<{ cohort_id: string }>(
      `SELECT DISTINCT cohort_id FROM destination_deliveries WHERE run_id = $1 AND adds + removes > 0 ORDER BY cohort_id`,
      [runId],
    );
    expect(changed.rows.length).toBeGreaterThan(0);
    expect(changed.rows.every((r) => published.includes(r.cohort_id))).toBe(true);
    expect([...new Set(delivered.map((d) => d.body.data.cohortId))].sort()).toEqual(
      changed.rows.map((r) => r.cohort_id),
    );
    expect(published).not.toContain(HELD);
    expect(done.approval!.cohorts.find((c) => c.cohortId === HELD)).toMatchObject({
      state: 'held',
      heldBy: { by: 'arthur' },
    });
  }, 180_000);

  it('shows one more point on the cohort page’s size chart after the publish', async () => {
    await open(arthur, `#/cohorts/${WATCHED}`);
    const sizeChart = arthur.getByTestId('cohort-size-chart');
    await sizeChart.locator('canvas').waitFor();
    await expect(sizeChart.getAttribute('data-points')).resolves.toBe(String(sizePointsBefore + 1));
    await shoot(arthur, 'cohort.png');
  });

  it('shows drift beside KPIs, the audit trail with its verified chain, and every destination', async () => {
    await open(arthur, `#/trends/${WATCHED}`);
    await arthur.getByTestId('drift-trend-chart').locator('canvas').waitFor();
    await expect(arthur.locator('table.kpis tbody tr').count()).resolves.toBe(2);
    await arthur.getByText('How the KPIs are computed').waitFor();
    await shoot(arthur, 'trends.png');

    await open(arthur, `#/audit?run=${runId}`);
    await expect(arthur.getByTestId('chain-state').textContent()).resolves.toMatch(
      /Hash chain verified: all \d+ rows intact/,
    );
    await expect(arthur.locator('table.audit tbody').textContent()).resolves.toMatch(
      /decision\.rejected.*decision\.approved/s,
    );
    await shoot(arthur, 'audit.png');

    await open(arthur, '#/deliveries');
    const webhook = arthur.locator('section[data-destination="webhook"]');
    await webhook.waitFor();
    await expect(webhook.locator('tbody tr').count()).resolves.toBeGreaterThanOrEqual(5);
    await shoot(arthur, 'deliveries.png');
  });

  it('reads on a phone: no page is wider than the screen', async () => {
    const phone = await signedIn(TOKENS.approver, 390);
    for (const [hash, shot, ready] of [
      ['#/runs', 'runs-phone.png', 'table.runs'],
      [`#/runs/${runId}`, 'run-phone.png', '.timeline'],
      [`#/cohorts/${WATCHED}`, 'cohort-phone.png', '[data-testid="cohort-size-chart"] canvas'],
    ] as const) {
      await open(phone, hash);
      await phone.locator(ready).first().waitFor();
      await phone.waitForLoadState('networkidle');
      const width = (await phone.evaluate('document.documentElement.scrollWidth')) as number;
      // Should the page be wider, the failure names what reaches past the screen's edge.
      const wide =
        width > 390
          ? await phone.evaluate(`[...document.querySelectorAll('body *')]
              .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
              .slice(0, 8).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))`)
          : [];
      expect([hash, width, wide]).toEqual([hash, 390, []]);
      await shoot(phone, shot);
    }
  });

  it('met no script error and no Content-Security-Policy refusal on any page', () => {
    expect(problems.flat()).toEqual([]);
  });
});
