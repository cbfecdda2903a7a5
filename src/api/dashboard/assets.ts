import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// The dashboard is a single page built from web/ into web/build (committed, so `npm install &&
// npm start` serves it without a build step). Every file comes from this server: no CDN.

export const BUILD_DIR = path.resolve(__dirname, '../../../web/build');

/**
 * Only this server's own files, no inline script, no framing (an approve button inside a page of
 * another site is a clickjacking target), no form posting elsewhere.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html><html lang="en"><meta charset="utf-8"><title>cohortflow</title>
<p>The dashboard is not built in this copy: run <code>npm run build:web</code>. The API reference is at <a href="/docs">/docs</a>.</p></html>`;

let page: string | undefined;
/** The page shell, read once; every page of the dashboard is this file and a route after #. */
function dashboardHtml(): string {
  page ??= fs.existsSync(path.join(BUILD_DIR, 'index.html'))
    ? fs.readFileSync(path.join(BUILD_DIR, 'index.html'), 'utf8')
    : NOT_BUILT;
  return page;
}

/** A browser navigating here asks for HTML first; API clients (curl, the CLI, fetch) ask for JSON or anything. */
export function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return /(^|,)\s*text\/html/i.test(accept);
}

export function sendDashboard(reply: FastifyReply): FastifyReply {
  return reply
    .code(200)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CSP,
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'same-origin',
      'cache-control': 'no-store',
    })
    .send(dashboardHtml());
}

/** The built scripts and styles under /assets/: names carry their content hash, so they are cached for good. */
export function registerDashboard(app: FastifyInstance): void {
  app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: path.join(BUILD_DIR, 'assets'),
      prefix: '/assets/',
      decorateReply: false,
      index: false,
      immutable: true,
      maxAge: '365d',
    });
  });
}
