import SwaggerParser from '@apidevtools/swagger-parser';
import type { RouteOptions } from 'fastify';
import type { Db } from '../../src/data/db';
import { testApi, type TestApi } from '../support/api';

// The API describes itself: /openapi.json is an OpenAPI 3.1 document of exactly the routes the
// server has, and /docs renders it from files this server serves (no CDN).

/** Nothing here may reach the database: the document and the refusals come before it. */
const untouchable = new Proxy({} as Db, {
  get: (_t, name) => {
    throw new Error(`the database was used (${String(name)})`);
  },
});

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
type Operation = {
  security?: Array<Record<string, string[]>>;
  'x-roles'?: string[];
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
};
type Document = { openapi: string; paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>> };

let api: TestApi;
let doc: Document;
const registered: Array<{ method: string; url: string; hidden: boolean }> = [];

beforeAll(async () => {
  api = await testApi(
    { db: untouchable, catalogDir: '/nonexistent' },
    { 'viewer-token-0123456789': { user: 'vera', roles: ['viewer'] } },
    [],
    (app) =>
      app.addHook('onRoute', (route: RouteOptions) => {
        for (const method of [route.method].flat())
          registered.push({ method, url: route.url, hidden: (route.schema as { hide?: boolean })?.hide === true });
      }),
  );
  doc = (await api.call('GET', '/openapi.json', null)).body;
});

afterAll(() => api.close());

/** The API's own routes: every method but the HEAD Fastify adds to each GET, minus the reference's files. */
const apiRoutes = () =>
  registered
    .filter((r) => r.method !== 'HEAD' && !r.hidden && !r.url.startsWith('/docs'))
    .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
    .sort();

const documented = () =>
  Object.entries(doc.paths)
    .flatMap(([path, item]) => METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${path}`))
    .sort();

const operations = () =>
  Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.flatMap((m) => (item[m] ? [{ method: m.toUpperCase(), path, op: item[m] }] : [])),
  );

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('lists every route the server has, and no other', () => {
    expect(apiRoutes().length).toBeGreaterThan(30);
    expect(documented()).toEqual(apiRoutes());
  });

  it('gives every operation a JSON schema for its success answer', () => {
    for (const { method, path, op } of operations()) {
      const success = Object.keys(op.responses).filter((code) => /^2/.test(code));
      expect([method, path, success.length > 0]).toEqual([method, path, true]);
      // Prometheus reads text: /metrics says so, with its own content type.
      const type = path === '/metrics' ? 'text/plain; version=0.0.4' : 'application/json';
      for (const code of success)
        expect([method, path, code, op.responses[code]!.content?.[type]?.schema]).toEqual([
          method,
          path,
          code,
          expect.any(Object),
        ]);
    }
  });

  it('declares bearer security and the roles on every route that needs a token, with its 401 and 403', () => {
    const open = operations().filter(({ op }) => !op.security);
    expect(open.map(({ method, path }) => `${method} ${path}`).sort()).toEqual([
      'DELETE /session',
      'GET /',
      'GET /health',
      'GET /session',
      'POST /session',
    ]);
    for (const { method, path, op } of operations().filter(({ op }) => op.security)) {
      expect([method, path, op.security, op['x-roles']?.length]).toEqual([
        method,
        path,
        [{ bearer: [] }],
        expect.any(Number),
      ]);
      expect([method, path, op.responses['401'], op.responses['403']]).toEqual([
        method,
        path,
        expect.objectContaining({ content: expect.any(Object) }),
        expect.objectContaining({ content: expect.any(Object) }),
      ]);
    }
  });

  it('is true about security: each secured route refuses a call without a token, before reading anything', async () => {
    // The open routes: the session's own answer a caller without one as they should.
    const openAnswers: Record<string, number> = {
      'GET /': 200,
      // /health answers 503 here: this API has no database or Temporal (its own test checks it).
      'GET /health': 503,
      'GET /session': 401,
      'POST /session': 400,
      'DELETE /session': 200,
    };
    for (const { method, path, op } of operations()) {
      const url = path.replace(/\{(\w+)\}/g, 'x1');
      const { status, body } = await api.call(method as 'GET', url, null, method === 'GET' ? undefined : {});
      if (op.security) expect([method, path, status, body.error]).toEqual([method, path, 401, 'unauthorized']);
      else expect([method, path, status]).toEqual([method, path, openAnswers[`${method} ${path}`]]);
    }
  });
});

describe('/docs', () => {
  const assetsOf = (html: string) => [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);

  it('serves an HTML reference page whose files all come from this server', async () => {
    const page = await api.app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const assets = assetsOf(page.body);
    expect(assets).toEqual(expect.arrayContaining([expect.stringMatching(/swagger-ui-bundle\.js$/)]));
    for (const asset of assets) {
      expect(asset).not.toMatch(/^(https?:)?\/\//);
      const file = await api.app.inject({ method: 'GET', url: asset.startsWith('/') ? asset : `/docs/${asset}` });
      expect([asset, file.statusCode, file.rawPayload.length > 0]).toEqual([asset, 200, true]);
    }
  });

  it('forbids the browser to load anything from elsewhere', async () => {
    const csp = String((await api.app.inject({ method: 'GET', url: '/docs' })).headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/https?:|\*|upgrade-insecure-requests/);
  });

  it('renders the same document as /openapi.json', async () => {
    const init = await api.app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(init.body).toContain("resolveUrl('./json')");
    expect((await api.call('GET', '/docs/json', null)).body).toEqual(doc);
  });
});

describe('the service root', () => {
  it('points to the reference, the document and the health check, each answering', async () => {
    const { status, body } = await api.call('GET', '/', null);
    expect(status).toBe(200);
    expect(body.links).toEqual({ docs: '/docs', openapi: '/openapi.json', health: '/health', dashboard: '/' });
    for (const link of [body.links.docs, body.links.openapi, body.links.dashboard] as string[])
      expect([link, (await api.app.inject({ method: 'GET', url: link })).statusCode]).toEqual([link, 200]);
    // This API's database and Temporal are nowhere: the health check says so, with a 503, and
    // names no address (the details go to the log).
    const health = await api.call('GET', body.links.health, null);
    expect(health).toMatchObject({
      status: 503,
      body: {
        ok: false,
        checks: {
          postgres: { ok: false, detail: 'unreachable' },
          temporal: { ok: false, detail: 'unreachable' },
          worker: { ok: false },
        },
      },
    });
    expect(JSON.stringify(health.body)).not.toMatch(/127\.0\.0\.1|:1\b/);
  });

  it('answers an unknown route with a 404 in the error format', async () => {
    expect(await api.call('GET', '/no/such/route', null)).toMatchObject({
      status: 404,
      body: { error: 'not_found', message: 'no route GET /no/such/route; the routes are listed at /docs' },
    });
  });
});
