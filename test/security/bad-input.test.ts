import type { Db } from '../../src/data/db';
import { loadConfig } from '../../src/config';
import { isDemoMode } from '../../src/system';
import { testApi, type TestApi } from '../support/api';

// Bad input that used to reach PostgreSQL or a workflow and come back as a 500 (or, worse, as a
// 202 and a run that failed later): each is a 400 naming the field and the reason, before the
// database or Temporal is touched (both are unreachable here: any use would be a 500).

const untouchable = new Proxy({} as Db, {
  get: (_t, name) => {
    throw new Error(`the database was used (${String(name)})`);
  },
});
const ADMIN = 'admin-token-0123456789';
let api: TestApi;

beforeAll(async () => {
  api = await testApi({ db: untouchable, catalogDir: '/nonexistent' }, { [ADMIN]: { user: 'ada', roles: ['admin'] } });
});
afterAll(() => api.close());

const NUL = 'a\u0000b';
const LONE = 'x\uD800y';
const NUL_TEXT = 'contains a NUL character (\\u0000), which text cannot hold';
const LONE_TEXT = 'contains half of a UTF-16 surrogate pair, which is not valid Unicode';

describe('bad input is a 400 naming the field, never a 500', () => {
  it.each([
    ['a rationale with NUL', 'POST', '/refreshes', { rationale: `why${NUL}` }, 'rationale', NUL_TEXT],
    ['a rationale with a lone surrogate', 'POST', '/refreshes', { rationale: `why ${LONE}` }, 'rationale', LONE_TEXT],
    [
      'a decision comment with NUL',
      'POST',
      '/refreshes/refresh-adhoc-1/approve',
      { comment: NUL },
      'comment',
      NUL_TEXT,
    ],
    [
      'a rollback reason with a lone surrogate',
      'POST',
      '/refreshes/refresh-adhoc-1/rollback',
      { reason: `oops ${LONE}` },
      'reason',
      LONE_TEXT,
    ],
    ['a note with NUL', 'POST', '/runs/refresh-adhoc-1/notes', { text: NUL }, 'text', NUL_TEXT],
    [
      'an erasure id with NUL',
      'POST',
      '/privacy/erasures',
      { customerId: `crm_${NUL}`, reason: 'GDPR request 42' },
      'customerId',
      NUL_TEXT,
    ],
    [
      'an erasure id with a lone surrogate',
      'POST',
      '/privacy/erasures',
      { customerId: LONE, reason: 'GDPR request 42' },
      'customerId',
      LONE_TEXT,
    ],
    [
      'a start asOf in year 0',
      'POST',
      '/refreshes',
      { rationale: 'old data', asOf: '0000-01-01T00:00:00Z' },
      'asOf',
      'a moment between the years 1900 and 9999',
    ],
  ] as const)('%s', async (_what, method, url, body, path, message) => {
    const answer = await api.call(method, url, ADMIN, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      error: 'invalid_request',
      issues: expect.arrayContaining([{ path, message }]),
    });
  });

  it.each([
    [
      'a customer id with NUL in the path',
      `/cohorts/paying-pro/why/${encodeURIComponent(`crm${NUL}`)}`,
      'customerId',
      NUL_TEXT,
    ],
    [
      'asOf=0000-01-01',
      '/cohorts/paying-pro/preview?asOf=0000-01-01',
      'asOf',
      'a moment between the years 1900 and 9999',
    ],
    [
      'a refresh id given to a rollback route',
      '/rollbacks/refresh-adhoc-20260301T060000-1a2b3c',
      'id',
      'a rollback run id (rollback-…); a refresh run (refresh-…) is at /refreshes/:id',
    ],
    [
      'a rollback id given to a refresh route',
      '/refreshes/rollback-paying-pro-to-v1-1',
      'id',
      'a refresh run id (refresh-…); a rollback run (rollback-…) is at /rollbacks/:id',
    ],
  ] as const)('%s', async (_what, url, path, message) => {
    const answer = await api.call('GET', url, ADMIN);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      error: 'invalid_request',
      issues: expect.arrayContaining([{ path, message }]),
    });
  });

  it('refuses a decision on a rollback run sent to the refresh route, and the reverse', async () => {
    expect((await api.call('POST', '/refreshes/rollback-x-to-v1-1/approve', ADMIN, {})).status).toBe(400);
    expect((await api.call('POST', '/rollbacks/refresh-adhoc-1/approve', ADMIN, {})).status).toBe(400);
  });
});

describe('demo mode', () => {
  const env = { COHORTFLOW_HOME: '/tmp' };
  it('has a demo inbox only without any destination configured', () => {
    expect(isDemoMode(loadConfig(env))).toBe(true);
    expect(isDemoMode(loadConfig({ ...env, COHORTFLOW_DESTINATIONS_FILE: 'destinations.yaml' }))).toBe(false);
    expect(
      isDemoMode(
        loadConfig({ ...env, WEBHOOK_URL: 'https://hooks.example/x', WEBHOOK_SECRET: `whsec_${'A'.repeat(24)}` }),
      ),
    ).toBe(false);
  });
});
