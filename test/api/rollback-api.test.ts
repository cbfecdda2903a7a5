import crypto from 'node:crypto';
import { testApi, type TestApi } from '../support/api';
import { freshDatabase, type TestDatabase } from '../support/db';

// The rollback routes' edges, answered before any workflow is touched: roles, bodies, versions.

const TOKENS = {
  viewer: crypto.randomBytes(24).toString('hex'),
  operator: crypto.randomBytes(24).toString('hex'),
  analyst: crypto.randomBytes(24).toString('hex'),
};

let test: TestDatabase;
let server: TestApi;

const post = async (route: string, token: string, body: unknown) => {
  const { status, body: answer } = await server.call('POST', route, token, body);
  return { status, body: answer };
};

beforeAll(async () => {
  test = await freshDatabase('rollback_api');
  server = await testApi(
    { db: test.db, catalogDir: '/nonexistent' },
    {
      [TOKENS.viewer]: { user: 'vera', roles: ['viewer'] },
      [TOKENS.operator]: { user: 'olivia', roles: ['operator'] },
      [TOKENS.analyst]: { user: 'ana', roles: ['analyst'] },
    },
  );
});

afterAll(async () => {
  await server.close();
  await test.drop();
});

describe('POST /refreshes/:id/rollback', () => {
  it('is for operators and approvers only', async () => {
    expect(await post('/refreshes/refresh-x/rollback', TOKENS.viewer, { reason: 'bad publish' })).toEqual({
      status: 403,
      body: { error: 'forbidden', message: 'vera lacks the operator or approver role' },
    });
  });

  it('needs a reason', async () => {
    const refused = await post('/refreshes/refresh-x/rollback', TOKENS.operator, {});
    expect(refused.status).toBe(400);
    expect(refused.body.issues).toEqual([expect.objectContaining({ path: 'reason' })]);
  });
});

describe('POST /cohorts/:id/rollback', () => {
  it('is for operators only', async () => {
    expect(
      (await post('/cohorts/payers/rollback', TOKENS.analyst, { toVersion: 1, reason: 'back to v1' })).status,
    ).toBe(403);
  });

  it('answers 404 for a version the cohort never published, without starting a rollback run', async () => {
    expect(await post('/cohorts/payers/rollback', TOKENS.operator, { toVersion: 3, reason: 'back to v3' })).toEqual({
      status: 404,
      body: { error: 'not_found', message: 'payers has no published version 3' },
    });
  });
});
