import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Db } from '../../src/data/db';
import { testApi, type TestApi } from '../support/api';

// The dashboard page as the API serves it: HTML to a browser at /, its files from this server
// only, a policy that keeps scripts and frames to this origin, and the committed build made from
// the sources as they are.

const root = path.resolve(__dirname, '../..');
let api: TestApi;

beforeAll(async () => {
  api = await testApi({ db: {} as Db, catalogDir: '/nonexistent' }, {});
});
afterAll(() => api.close());

const browserGet = (url: string) =>
  api.app.inject({ method: 'GET', url, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });

describe('the dashboard at /', () => {
  it('answers a browser with the page, forbidding other origins, inline script and framing', async () => {
    const page = await browserGet('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<div id="app"></div>');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).not.toMatch(/https?:|\*|unsafe/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
  });

  it('keeps answering API clients with the JSON index', async () => {
    const json = await api.app.inject({ method: 'GET', url: '/', headers: { accept: 'application/json' } });
    expect(json.json()).toMatchObject({ service: 'cohortflow', links: { dashboard: '/' } });
  });

  it('serves every file the page names from this server, cached for good', async () => {
    const page = (await browserGet('/')).body;
    const links = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(links.filter((l) => !l.startsWith('/assets/'))).toEqual(['/docs']);
    const assets = links.filter((l) => l.startsWith('/assets/'));
    expect(assets.map((a) => path.extname(a)).sort()).toEqual(['.css', '.js']);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/assets\/index-[\w-]+\.(js|css)$/);
      const file = await api.app.inject({ method: 'GET', url: asset });
      expect([asset, file.statusCode, file.rawPayload.length > 1000]).toEqual([asset, 200, true]);
      expect(file.headers['cache-control']).toMatch(/immutable/);
      expect(file.headers['content-type']).toMatch(asset.endsWith('.js') ? /javascript/ : /text\/css/);
    }
    expect((await api.app.inject({ method: 'GET', url: '/assets/../package.json' })).statusCode).toBe(404);
  });
});

describe('the committed dashboard build', () => {
  it('is exactly what the sources build to (run `npm run build:web` after changing web/)', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-web-'));
    try {
      await promisify(execFile)(
        process.execPath,
        [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.mts'],
        { cwd: root, env: { ...process.env, DASHBOARD_OUT_DIR: out } },
      );
      const files = (dir: string): string[] =>
        fs
          .readdirSync(dir, { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
          .sort();
      const built = path.join(root, 'web/build');
      expect(files(built)).toEqual(files(out));
      for (const file of files(out))
        expect([file, fs.readFileSync(path.join(built, file)).equals(fs.readFileSync(path.join(out, file)))]).toEqual([
          file,
          true,
        ]);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
