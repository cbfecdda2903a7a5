import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/data/embedded-postgres';
import { watchdogGuard } from '../../src/instance/guard';
import { startWatchdog } from '../../src/instance/watchdog';
import { createLogger } from '../../src/log';
import { temporalCliPath } from '../../src/temporal/binaries';
import { SEARCH_ATTRIBUTES } from '../../src/workflows/search-attributes';

// Servers a test can take away and bring back, as an operator or an outage would: a PostgreSQL
// stopped the way `pg_ctl stop -m immediate` stops it, and a Temporal dev server killed outright,
// each started again on the same data and port.

const ROOT = path.resolve(__dirname, '../..');

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

export interface RestartablePostgres {
  url: string;
  /** SIGQUIT to the postmaster: an immediate shutdown, no checkpoint, every connection cut. */
  stopImmediately(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function restartablePostgres(label: string): Promise<RestartablePostgres> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `cohortflow-${label}-`));
  fs.chmodSync(home, 0o711);
  const watchdog = startWatchdog({ logFile: path.join(home, 'watchdog.log') });
  watchdog.removeOnExit(home);
  const options = {
    dir: path.join(home, 'cluster'),
    passwordFile: path.join(home, 'password'),
    logFile: path.join(home, 'postgres.log'),
    port: await freePort(),
    throwaway: true,
    guard: watchdogGuard(watchdog),
    log: createLogger('warn'),
  };
  let server: EmbeddedPostgres | undefined = await startEmbeddedPostgres(options);
  const url = server.url;
  return {
    url,
    async stopImmediately() {
      const pid = Number(fs.readFileSync(path.join(options.dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      const exited = server!.exited;
      process.kill(pid, 'SIGQUIT');
      await exited;
      server = undefined;
    },
    async start() {
      server = await startEmbeddedPostgres(options);
      if (server.url !== url) throw new Error(`PostgreSQL came back elsewhere: ${server.url}`);
    },
    async close() {
      await server?.stop();
      watchdog.close();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

export interface RestartableTemporal {
  address: string;
  /** SIGKILL: the server is gone at once, nothing flushed. */
  kill(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** A dev server persisting to a SQLite file, so what it knew is there when it comes back. */
export async function restartableTemporal(label: string): Promise<RestartableTemporal> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `cohortflow-${label}-`));
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = [
    'server',
    'start-dev',
    '--headless',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--db-filename',
    path.join(home, 'temporal.db'),
    '--log-level',
    'error',
    ...SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
  ];
  let child: ChildProcess | undefined;
  const start = async () => {
    const log = fs.openSync(path.join(home, 'temporal.log'), 'a');
    child = spawn(temporalCliPath(ROOT), args, { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const connection = await Connection.connect({ address, connectTimeout: '1s' }).catch(() => undefined);
      if (connection) {
        await connection.close();
        return;
      }
      if (Date.now() > deadline) throw new Error(`the dev server did not come up on ${address}`);
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
    child = undefined;
  };
  await start();
  return {
    address,
    kill,
    start,
    async close() {
      await kill();
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}
