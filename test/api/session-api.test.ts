import crypto from 'node:crypto';
import { testApi, type TestApi } from '../support/api';
import { freshDatabase, type TestDatabase } from '../support/db';
import { recordVersion } from '../support/snapshot-data';

// Dashboard sessions: a token exchanged for an HttpOnly cookie, a CSRF token on every change
// made with it, and bearer clients untouched.

const TOKENS = {
  approver: crypto.randomBytes(24).toString('hex'),
  viewer: crypto.randomBytes(24).toString('hex'),
};
const GRANTS = {
  [TOKENS.approver]: { user: 'abby', roles: ['approver' as const, 'viewer' as const] },
  [TOKENS.viewer]: { user: 'vera', roles: ['viewer' as const] },
};

let test: TestDatabase;
let api: TestApi;

interface Sent {
  status: number;
  headers: Record<string, unknown>;
  body: any;
}

async function send(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  headers: Record<string, string> = {},
  payload?: unknown,
  server = api,
): Promise<Sent> {
  const r = await server.app.inject({
    method,
    url,
    headers,
    ...(payload !== undefined ? { payload: payload as object | string } : {}),
  });
  return { status: r.statusCode, headers: r.headers, body: r.body ? JSON.parse(r.body) : undefined };
}

/** Signs in and returns the cookie header a browser would send back, with the CSRF token. */
async function signIn(token: string, server = api) {
  const r = await send('POST', '/session', {}, { token }, server);
  expect(r.status).toBe(200);
  const cookie = String(r.headers['set-cookie']).split(';')[0]!;
  return { cookie, csrf: r.body.csrfToken as string, answer: r };
}

const notesOn = async (cohort: string) =>
  (await test.db.query('SELECT count(*)::int AS n FROM learnings WHERE cohort_id = $1', [cohort])).rows[0].n as number;

beforeAll(async () => {
  test = await freshDatabase('session_api');
  await recordVersion(test.db, 'payers', 1, { id: 'payers', tier: 'tactical' }, { author: 'ana' });
  api = await testApi({ db: test.db, catalogDir: '/nonexistent' }, GRANTS);
});

afterAll(async () => {
  await api.close();
  await test.drop();
});

describe('signing in to the dashboard', () => {
  it('sets an HttpOnly, SameSite=Strict session cookie (not Secure over plain http) and answers who signed in', async () => {
    const { answer } = await signIn(TOKENS.approver);
    const cookie = String(answer.headers['set-cookie']);
    expect(cookie).toMatch(/^cohortflow_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
    expect(answer.body).toMatchObject({ user: 'abby', roles: ['approver', 'viewer'], temporalUi: null });
    expect(answer.body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('marks the cookie Secure when the request came over TLS through a trusted proxy', async () => {
    const proxied = await testApi({ db: test.db, catalogDir: '/nonexistent' }, GRANTS, [], undefined, {
      trustProxy: true,
    });
    try {
      const r = await send('POST', '/session', { 'x-forwarded-proto': 'https' }, { token: TOKENS.viewer }, proxied);
      expect(r.status).toBe(200);
      expect(String(r.headers['set-cookie'])).toMatch(/; Secure/);
    } finally {
      await proxied.close();
    }
  });

  it('stores neither the session id nor the token, only their hashes', async () => {
    const { cookie } = await signIn(TOKENS.viewer);
    const id = cookie.split('=')[1]!;
    const dump = JSON.stringify((await test.db.query('SELECT * FROM dashboard_sessions')).rows);
    expect(dump).not.toContain(id);
    expect(dump).not.toContain(TOKENS.viewer);
    expect(dump).toContain(crypto.createHash('sha256').update(id).digest('hex'));
  });

  it('refuses an unknown token (401), a malformed one (400) and a sign-in posted from another origin (403)', async () => {
    expect((await send('POST', '/session', {}, { token: 'x'.repeat(40) })).status).toBe(401);
    const short = await send('POST', '/session', {}, { token: 'short' });
    expect(short.status).toBe(400);
    expect(short.body.issues[0].path).toBe('token');
    const cross = await send(
      'POST',
      '/session',
      { origin: 'https://evil.example', host: 'localhost:80' },
      { token: TOKENS.viewer },
    );
    expect(cross.status).toBe(403);
    expect(cross.body.error).toBe('cross_origin');
    expect(cross.headers['set-cookie']).toBeUndefined();
  });

  it('answers the session to its cookie, and 401 without one', async () => {
    const { cookie, csrf } = await signIn(TOKENS.viewer);
    expect((await send('GET', '/session', { cookie })).body).toMatchObject({ user: 'vera', csrfToken: csrf });
    expect((await send('GET', '/session')).status).toBe(401);
    expect((await send('GET', '/session', { cookie: 'cohortflow_session=forged' })).status).toBe(401);
  });
});

describe('a request made with the session cookie', () => {
  it('reads what the role allows and nothing more', async () => {
    const { cookie, csrf } = await signIn(TOKENS.viewer);
    expect((await send('GET', '/audit?limit=5', { cookie })).status).toBe(200);
    const refused = await send(
      'POST',
      '/cohorts/payers/notes',
      { cookie, 'x-csrf-token': csrf },
      { text: 'a viewer writes' },
    );
    expect(refused).toMatchObject({
      status: 403,
      body: { error: 'forbidden', message: 'vera lacks the analyst or approver role' },
    });
  });

  it('changes state only with the CSRF token, and a forged form post changes nothing', async () => {
    const { cookie, csrf } = await signIn(TOKENS.approver);
    const before = await notesOn('payers');

    const withoutToken = await send('POST', '/cohorts/payers/notes', { cookie }, { text: 'no token' });
    expect(withoutToken).toMatchObject({ status: 403, body: { error: 'csrf_failed' } });
    const wrongToken = await send('POST', '/cohorts/payers/notes', { cookie, 'x-csrf-token': 'guess' }, { text: 'x' });
    expect(wrongToken.status).toBe(403);
    const forgedForm = await send(
      'POST',
      '/cohorts/payers/notes',
      { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      'text=forged',
    );
    expect(forgedForm).toMatchObject({ status: 403, body: { error: 'csrf_failed' } });
    expect(await notesOn('payers')).toBe(before);

    const written = await send('POST', '/cohorts/payers/notes', { cookie, 'x-csrf-token': csrf }, { text: 'checked' });
    expect(written.status).toBe(201);
    expect(written.body).toMatchObject({ author: 'abby', text: 'checked' });
    expect(await notesOn('payers')).toBe(before + 1);
  });

  it('leaves bearer-token clients as they were: no CSRF token, and the cookie plays no part', async () => {
    const { cookie } = await signIn(TOKENS.approver);
    const bearer = await send(
      'POST',
      '/cohorts/payers/notes',
      { authorization: `Bearer ${TOKENS.approver}`, cookie },
      { text: 'from the CLI' },
    );
    expect(bearer.status).toBe(201);
    // A bad bearer token is not rescued by a good cookie.
    const bad = await send('GET', '/audit', { authorization: 'Bearer not-a-token-at-all-000', cookie });
    expect(bad.status).toBe(401);
  });

  it('stops working after sign-out, which itself needs the CSRF token', async () => {
    const { cookie, csrf } = await signIn(TOKENS.viewer);
    expect((await send('DELETE', '/session', { cookie })).status).toBe(403);
    expect((await send('GET', '/session', { cookie })).status).toBe(200);
    const out = await send('DELETE', '/session', { cookie, 'x-csrf-token': csrf });
    expect(out.status).toBe(200);
    expect(String(out.headers['set-cookie'])).toMatch(/^cohortflow_session=;/);
    expect((await send('GET', '/session', { cookie })).status).toBe(401);
    expect((await send('GET', '/audit', { cookie })).status).toBe(401);
  });

  it('stops working once the session expires or its token is withdrawn from the configuration', async () => {
    const expiring = await signIn(TOKENS.viewer);
    await test.db.query("UPDATE dashboard_sessions SET expires_at = now() - interval '1 second'");
    expect((await send('GET', '/audit', { cookie: expiring.cookie })).status).toBe(401);

    const { cookie } = await signIn(TOKENS.viewer);
    const withoutVera = await testApi(
      { db: test.db, catalogDir: '/nonexistent' },
      { [TOKENS.approver]: GRANTS[TOKENS.approver]! },
    );
    try {
      expect((await send('GET', '/audit', { cookie }, undefined, withoutVera)).status).toBe(401);
      expect((await send('GET', '/audit', { cookie })).status).toBe(200);
    } finally {
      await withoutVera.close();
    }
  });
});
