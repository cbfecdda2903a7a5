import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TEMPORAL_STOP, type ChildGuard } from '../instance/guard';
import { lastLines } from '../instance/last-lines';
import { processRef, stopProcess } from '../instance/process-identity';
import type { Logger } from '../log';
import { SEARCH_ATTRIBUTES } from '../workflows/search-attributes';
import { temporalCliPath } from './binaries';

export interface DevServer {
  address: string;
  uiUrl: string;
  /** Settles when the dev server ends by any means other than stop(). */
  exited: Promise<Error>;
  stop(): Promise<void>;
}

/**
 * Runs `temporal server start-dev` persisting to a SQLite file, with the project's search
 * attributes registered, and resolves once it accepts connections. Its ports must be free first:
 * a server already answering there (say, one left by a killed start) would otherwise be taken
 * for the new one while the new one fails to bind and exits.
 */
export async function startDevServer(options: {
  dataDir: string;
  port: number;
  uiPort: number;
  namespace: string;
  log: Logger;
  home?: string;
  guard: ChildGuard;
}): Promise<DevServer> {
  fs.mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  await ensureFree(options.port, 'TEMPORAL_PORT');
  await ensureFree(options.uiPort, 'TEMPORAL_UI_PORT');
  const dbFile = path.join(options.dataDir, 'temporal.db');
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    dbFile,
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
  // Output to a file, not a pipe to us: it must not die of a broken pipe before the watchdog stops it.
  const logFile = path.join(options.dataDir, 'temporal.log');
  const logFd = fs.openSync(logFile, 'a', 0o600);
  const child = spawn(temporalCliPath(options.home), args, { stdio: ['ignore', logFd, logFd], detached: true });
  fs.closeSync(logFd);
  const ref = child.pid === undefined ? undefined : processRef(child.pid, dbFile);
  if (ref) options.guard.track('temporal', ref, TEMPORAL_STOP);
  let stopping = false;
  const ended = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`));
    child.once('error', (err) => resolve(`could not run ${temporalCliPath(options.home)}: ${err.message}`));
  });
  const exited = ended.then((how) => {
    if (ref) options.guard.untrack(ref.pid);
    return new Error(`the Temporal dev server exited (${how}); its log: ${logFile}\n${lastLines(logFile)}`);
  });
  const stop = async () => {
    stopping = true;
    if (ref) await stopProcess(ref, TEMPORAL_STOP);
    await ended;
  };
  const address = `127.0.0.1:${options.port}`;
  try {
    await waitForServer(address, ended, logFile);
  } catch (err) {
    await stop();
    throw err;
  }
  options.log.info({ address, ui: `http://localhost:${options.uiPort}` }, 'temporal dev server ready');
  return {
    address,
    uiUrl: `http://localhost:${options.uiPort}`,
    exited: exited.then((err) => (stopping ? new Promise<Error>(() => undefined) : err)),
    stop,
  };
}

async function ensureFree(port: number, name: string): Promise<void> {
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  } catch (err) {
    throw new Error(
      `${name} ${port} on 127.0.0.1 is taken by another process (${(err as NodeJS.ErrnoException).code}): ` +
        `stop it, or set ${name} to a free port`,
      { cause: err },
    );
  }
  await new Promise((r) => server.close(r));
}

async function waitForServer(address: string, ended: Promise<string>, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let exit: string | undefined;
  void ended.then((how) => (exit = how));
  for (;;) {
    if (exit) throw new Error(`temporal dev server exited during start (${exit}):\n${lastLines(logFile)}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      return;
    } catch (err) {
      if (Date.now() > deadline)
        throw new Error(
          `temporal dev server did not answer on ${address} within 60s: ${(err as Error).message}\n${lastLines(logFile)}`,
          { cause: err },
        );
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
