import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { listenApi, type ListeningApi } from '../support/api';
import { freshDatabase, type TestDatabase } from '../support/db';
import { addPurchasers } from '../support/purchasers';

// Model versions over real HTTP and through the CLI: list, show, and an operator's fit on demand,
// which is only ever proposed.

const TOKENS = {
  operator: crypto.randomBytes(24).toString('hex'),
  viewer: crypto.randomBytes(24).toString('hex'),
};
const ROOT = path.resolve(__dirname, '../..');

let test: TestDatabase;
let catalogDir: string;
let server: ListeningApi;

function cli(args: string[], token = TOKENS.viewer): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, COHORTFLOW_API_URL: server.base, COHORTFLOW_TOKEN: token, LOG_LEVEL: 'warn' },
      },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  test = await freshDatabase('models_api');
  catalogDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-models-'));
  await addPurchasers(test.db, { customers: 250, until: new Date('2026-06-01T00:00:00Z'), seed: 3 });
  server = await listenApi(
    { db: test.db, catalogDir },
    {
      [TOKENS.operator]: { user: 'olivia', roles: ['operator', 'viewer'] },
      [TOKENS.viewer]: { user: 'vera', roles: ['viewer'] },
    },
  );
}, 60_000);

afterAll(async () => {
  await server?.app.close();
  await test?.drop();
  fs.rmSync(catalogDir, { recursive: true, force: true });
});

describe('models through the API and the CLI', () => {
  it('fits a version on demand as proposed, never current, with its author, rationale and metrics', async () => {
    const fitted = await server.call('POST', '/models', TOKENS.operator, {
      kind: 'purchasing',
      rationale: 'refit after the spring campaign',
      asOf: '2026-06-01T00:00:00Z',
    });
    expect(fitted.status).toBe(201);
    expect(fitted.body).toMatchObject({
      modelId: 'purchasing-v1',
      status: 'proposed',
      author: 'olivia',
      rationale: 'refit after the spring campaign',
      promotable: true,
      runId: null,
      metrics: expect.objectContaining({ repeatBuyers: expect.any(Number) }),
    });
    const shown = await server.call('GET', '/models/purchasing-v1', TOKENS.viewer);
    expect(shown.body).toMatchObject({ modelId: 'purchasing-v1', parameters: { bgNbd: expect.any(Object) } });
  });

  it('refuses a viewer (403), a bad kind (400 naming the field) and a fit the data cannot carry (409)', async () => {
    const viewer = await server.call('POST', '/models', TOKENS.viewer, {
      kind: 'churn',
      rationale: 'a viewer tries this',
    });
    expect(viewer.status).toBe(403);
    const bad = await server.call('POST', '/models', TOKENS.operator, {
      kind: 'loyalty',
      rationale: 'no such model kind',
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.issues)).toMatch(/kind/);
    const refused = await server.call('POST', '/models', TOKENS.operator, {
      kind: 'purchasing',
      rationale: 'before anyone bought anything',
      asOf: '2024-01-01T00:00:00Z',
    });
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      error: 'model_fit_refused',
      message: expect.stringMatching(
        /^model not fitted: purchasing: 0 customers with a repeat purchase .* the fit needs 20$/,
      ),
    });
    expect(await server.call('GET', '/models/churn-v9', TOKENS.viewer)).toMatchObject({ status: 404 });
  });

  it('lists and shows versions on the command line', async () => {
    const list = await cli(['models', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^MODEL\s+STATUS/);
    expect(list.stdout).toMatch(/purchasing-v1\s+proposed\s+2026-06-01T00:00:00.000Z\s+yes/);
    const show = await cli(['models', 'show', 'purchasing-v1']);
    expect(show.stdout).toMatch(/^purchasing-v1 \(purchasing v1\): proposed/);
    expect(show.stdout).toMatch(/fitted as of 2026-06-01T00:00:00.000Z .* by olivia: refit after the spring campaign/);
    expect(show.stdout).toMatch(/waits for the next quarterly run/);
  });
});
