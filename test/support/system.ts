import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { generateSources } from '../../src/sources/generate';
import { createLogger } from '../../src/log';
import { spawn } from 'node:child_process';
import { startSystem, type RunningSystem } from '../../src/system';
import { startWebhookReceiver } from './webhook-receiver';

export const TOKENS = {
  operator: crypto.randomBytes(24).toString('hex'),
  approver: crypto.randomBytes(24).toString('hex'),
  viewer: crypto.randomBytes(24).toString('hex'),
};

/**
 * The whole system as `npm start` composes it, against the given Temporal and Postgres (or
 * the embedded PostgreSQL when databaseUrl is undefined), publishing to a verifying webhook receiver.
 */
export async function startTestSystem(options: {
  temporalAddress: string;
  databaseUrl?: string;
  asChildProcess?: boolean;
  watchWindow?: string;
  /** More environment, e.g. a short APPROVAL_DEADLINE. */
  env?: Record<string, string>;
  /** Customers in the generated source data (default 200). */
  customers?: number;
}) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-e2e-'));
  // Passable like a home folder: as root, the embedded PostgreSQL runs as the `postgres` account.
  fs.chmodSync(home, 0o711);
  const sourceDir = path.join(home, 'sources');
  await generateSources(sourceDir, { customers: options.customers ?? 200, days: 60, seed: 7 });
  const secret = `whsec_${crypto.randomBytes(24).toString('base64')}`;
  const receiver = await startWebhookReceiver(secret);
  const env: Record<string, string> = {
    COHORTFLOW_HOME: path.resolve(__dirname, '../..'),
    COHORTFLOW_DATA_DIR: path.join(home, 'data'),
    COHORTFLOW_SOURCE_DIR: sourceDir,
    TEMPORAL_ADDRESS: options.temporalAddress,
    // Unless a scenario watches for rollbacks, the run ends right after publish.
    ROLLBACK_WATCH_WINDOW: options.watchWindow ?? '0s',
    COHORTFLOW_TASK_QUEUE: `e2e-${crypto.randomBytes(4).toString('hex')}`,
    API_PORT: '0',
    COHORTFLOW_TOKENS: JSON.stringify({
      [TOKENS.operator]: { user: 'olivia', roles: ['operator', 'viewer'] },
      [TOKENS.approver]: { user: 'arthur', roles: ['approver', 'viewer'] },
      [TOKENS.viewer]: { user: 'vera', roles: ['viewer'] },
    }),
    WEBHOOK_URL: receiver.url,
    WEBHOOK_SECRET: secret,
    // The receiver listens on loopback: allowed only because this says so.
    WEBHOOK_ALLOW_PRIVATE_NETWORK: 'true',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.env,
  };
  const system = options.asChildProcess
    ? await spawnStart(env)
    : await startSystem(loadConfig(env), createLogger('warn'));
  const call = async (method: 'GET' | 'POST', route: string, token: string | undefined, body?: unknown) => {
    const response = await fetch(`${system.apiUrl}${route}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: response.status, body: (await response.json().catch(() => undefined)) as Record<string, unknown> };
  };
  return {
    system,
    receiver,
    call,
    /** The source folder the system ingests from; write new files here between runs. */
    sourceDir,
    /** False once `cohortflow start` run as a child process has exited (always true in-process). */
    alive: () => (system as Partial<SpawnedSystem>).alive?.() ?? true,
    /** What the child process printed so far. */
    output: () => (system as Partial<SpawnedSystem>).output?.() ?? '',
    async stop() {
      await system.stop();
      await receiver.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

interface SpawnedSystem extends RunningSystem {
  alive(): boolean;
  output(): string;
}

/**
 * `npm start`'s command in a child process (as a user runs it), up once its banner names the
 * API; stop() sends SIGINT like Ctrl-C and fails unless the process exits cleanly.
 */
async function spawnStart(env: Record<string, string>): Promise<SpawnedSystem> {
  const root = path.resolve(__dirname, '../..');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start'], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const apiUrl = await eventually(
    async () => /API\s+(http:\S+)/.exec(output)?.[1] ?? (child.exitCode !== null ? 'exited' : undefined),
    (u) => u !== undefined,
    'the start banner',
    90_000,
  );
  if (apiUrl === 'exited' || !apiUrl) throw new Error(`cohortflow start exited:\n${output}`);
  return {
    apiUrl,
    temporalAddress: env.TEMPORAL_ADDRESS!,
    alive: () => child.exitCode === null && child.signalCode === null,
    output: () => output,
    async stop() {
      child.kill('SIGINT');
      const code = await exited;
      if (code !== 0) throw new Error(`cohortflow start exited with ${code} after SIGINT:\n${output}`);
    },
  };
}

/** Polls until the check passes, or fails with the last value after the limit. */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  what: string,
  limitMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
}
