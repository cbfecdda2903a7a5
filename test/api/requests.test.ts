import type { Db } from '../../src/data/db';
import { testApi, type TestApi } from '../support/api';

// What every route does with a request that does not fit: a 400 naming each field and why, in
// one error format, before anything is read or written; never a 500.

/** A refused request must not reach the database: any use of it fails the test. */
const untouchable = new Proxy({} as Db, {
  get: (_t, name) => {
    throw new Error(`the database was used (${String(name)})`);
  },
});

const TOKENS = {
  admin: 'admin-token-0123456789',
  viewer: 'viewer-token-0123456789',
};

let api: TestApi;

beforeAll(async () => {
  api = await testApi(
    { db: untouchable, catalogDir: '/nonexistent' },
    {
      [TOKENS.admin]: { user: 'ada', roles: ['admin'] },
      [TOKENS.viewer]: { user: 'vera', roles: ['viewer'] },
    },
  );
});

afterAll(() => api.close());

const raw = (method: 'POST' | 'PUT', url: string, payload: string, contentType = 'application/json') =>
  api.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${TOKENS.admin}`, 'content-type': contentType },
    payload,
  });

describe('a request that does not fit its route', () => {
  it.each([
    ['a body field of the wrong type', 'POST', '/refreshes', { rationale: 'monthly check', tier: 'gold' }, ['tier']],
    ['a missing required field', 'PUT', '/cohorts/paying-customers', { yaml: 'id: x' }, ['rationale']],
    [
      'a field the route does not know',
      'POST',
      '/privacy/erasures',
      { customerId: 'c1', reason: 'ticket 7', why: 1 },
      [''],
    ],
    ['a nested field', 'POST', '/refreshes/refresh-1/approve', { cohorts: ['Not_A_Cohort'] }, ['cohorts.0']],
    ['a malformed path parameter', 'GET', '/cohorts/Not_An_Id/history', undefined, ['id']],
    ['a query parameter out of range', 'GET', '/audit?limit=5000', undefined, ['limit']],
    ['a query parameter the route does not know', 'GET', '/cohorts/payers/preview?sampel=3', undefined, ['']],
    ['a malformed time', 'GET', '/cohorts/payers/explain?asOf=yesterday', undefined, ['asOf']],
  ] as const)('answers 400 naming the field for %s', async (_what, method, url, body, paths) => {
    const { status, body: answer } = await api.call(method, url, TOKENS.admin, body);
    expect(status).toBe(400);
    expect(answer.error).toBe('invalid_request');
    expect(answer.issues.map((i: { path: string }) => i.path)).toEqual(paths);
    for (const issue of answer.issues) expect(issue.message).toEqual(expect.any(String));
    expect(answer.message).toMatch(/^invalid request: /);
  });

  it('answers 400 for a body that is not JSON', async () => {
    const answer = await raw('POST', '/refreshes', '{"rationale": ');
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ error: 'bad_request', message: expect.stringMatching(/JSON/) });
  });

  it('answers 400 for a JSON body that is not an object', async () => {
    const answer = await raw('POST', '/refreshes', '["monthly"]');
    expect(answer.statusCode).toBe(400);
    expect(answer.json()).toMatchObject({ error: 'invalid_request', issues: [{ path: '' }] });
  });

  it('answers 415 for a body that is not JSON at all', async () => {
    const answer = await raw('POST', '/refreshes', 'rationale=monthly', 'application/x-www-form-urlencoded');
    expect(answer.statusCode).toBe(415);
    expect(answer.json()).toMatchObject({ error: 'bad_request' });
  });

  it('checks the caller before the request: a viewer learns nothing about a body it may not send', async () => {
    const { status, body } = await api.call('POST', '/refreshes', TOKENS.viewer, { tier: 'gold' });
    expect(status).toBe(403);
    expect(body).toEqual({ error: 'forbidden', message: 'vera lacks the operator role' });
  });

  it('answers 401 with the scheme to use', async () => {
    const { status, headers, body } = await api.call('GET', '/cohorts', null);
    expect(status).toBe(401);
    expect(headers['www-authenticate']).toBe('Bearer');
    expect(body).toEqual({ error: 'unauthorized', message: 'send Authorization: Bearer <token>' });
  });
});
