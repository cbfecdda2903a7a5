import { execFile } from 'node:child_process';
import fs from 'node:fs';
import type { Db } from '../../src/data/db';
import { listenApi, type ListeningApi } from '../support/api';
import { CHROMIUM, CHROMIUM_FLAGS, freshProfile } from '../support/browser';

// The API reference in a real browser (Debian's Chromium, which CI installs): it renders every
// route from /openapi.json, with every host but this one unresolvable, so a file fetched from a
// CDN would leave the page blank.

let api: ListeningApi;
let profile: string;

beforeAll(async () => {
  api = await listenApi({ db: {} as Db, catalogDir: '/nonexistent' }, {});
  profile = freshProfile();
});

afterAll(async () => {
  await api.close();
  fs.rmSync(profile, { recursive: true, force: true });
});

function renderedDom(url: string): Promise<string> {
  const flags = [
    '--headless',
    ...CHROMIUM_FLAGS,
    `--user-data-dir=${profile}`,
    // Lets the page's scripts run to completion (fetching and rendering the document) before the DOM is dumped.
    '--virtual-time-budget=15000',
    '--dump-dom',
    url,
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, flags, { maxBuffer: 64 * 1024 * 1024, timeout: 90_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${CHROMIUM} failed: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

describe('the API reference in a browser', () => {
  it('renders every route of the document from files this server serves', async () => {
    const doc = (await api.call('GET', '/openapi.json', null)).body as { paths: Record<string, object> };
    const dom = await renderedDom(`${api.base}/docs`);
    expect(dom).toContain('cohortflow API');
    for (const route of Object.keys(doc.paths))
      expect([route, dom.includes(`data-path="${route}"`)]).toEqual([route, true]);
    expect(dom).toContain('Start a refresh run');
  });
});
