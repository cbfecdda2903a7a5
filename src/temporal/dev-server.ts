import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import type { Logger } from '../log';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { temporalCliPath } from './binaries';

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/**
 * Runs `temporal server start-dev` persisting to a SQLite file, with the project's search
 * attributes registered, and resolves once it accepts connections.
 */
export async function startDevServer(options: {
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  log: Logger;
  home?: string;
}): Promise<DevServer> {
  fs.mkdirSync(options.dataDir, { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    path.join(options.dataDir, 'temporal.db'),
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--namespace',
    options.namespace,
    '--log-level',
    'warn',
    ...SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
  ];
  // Its own process group: Ctrl-C reaches us, and we stop the server after the worker drained.
  const child = spawn(temporalCliPath(options.home), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 50) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const address = `127.0.0.1:${options.port}`;
  await waitForServer(child, address, output);
  options.log.info({ address, ui: `http://localhost:${options.uiPort}` }, 'temporal dev server ready');
  return {
    address,
    uiUrl: `http://localhost:${options.uiPort}`,
    stop: async () => {
      await stopChild(child);
      process.removeListener('exit', killOnExit);
    },
  };
}

async function waitForServer(child: ChildProcess, address: string, output: string[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`temporal dev server exited during start:\n${output.join('')}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(
          `temporal dev server did not answer on ${address} within 60s: ${(err as Error).message}\n${output.join('')}`,
          { cause: err },
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
