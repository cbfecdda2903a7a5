import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

// Debian's Chromium (CI installs it), driven by playwright-core: no browser is downloaded. Every
// host but this machine is unresolvable, so a page that fetched anything from a CDN would break.

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Without the background-networking flags Chromium's own connections are refused in a closed network. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** A fresh profile folder for a Chromium run of its own (`--user-data-dir`). */
export const freshProfile = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-chromium-'));

export interface TestBrowser {
  browser: Browser;
  /** A context of its own (cookies, storage) for one person, at a viewport width. */
  person(width?: number): Promise<{ context: BrowserContext; page: Page; problems: string[] }>;
  close(): Promise<void>;
}

/**
 * Headless Chromium. Each person gets an isolated context; `problems` collects uncaught page
 * errors and Content-Security-Policy refusals, which a test expects to stay empty.
 */
export async function launchBrowser(): Promise<TestBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  return {
    browser,
    async person(width = 1280) {
      const context = await browser.newContext({ viewport: { width, height: width < 600 ? 844 : 900 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (message) => {
        if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text()))
          problems.push(`console: ${message.text()}`);
      });
      return { context, page, problems };
    },
    close: () => browser.close(),
  };
}
