import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard's build: web/ into web/build/, served by the API at / and /assets/. The output is
// committed (npm install && npm start need no build step); test/api/dashboard-page.test.ts
// rebuilds it and fails when it is out of date.
const here = path.dirname(fileURLToPath(import.meta.url));
// The committed build must not depend on the shell it is built from (jest sets NODE_ENV=test).
process.env.NODE_ENV = 'production';

export default defineConfig({
  root: here,
  base: '/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: process.env.DASHBOARD_OUT_DIR ?? path.join(here, 'build'),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    // One small bundle: no preload polyfill to inline, nothing loaded from elsewhere.
    modulePreload: false,
  },
});
