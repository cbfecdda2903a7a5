import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { InstanceRecord } from '../../src/instance/instance-file';
import { postgresAccount, postgresBinaries } from '../../src/data/postgres-runtime';
import { isRunning, stopProcess } from '../../src/instance/process-identity';
import { eventually } from '../support/system';

const root = path.resolve(__dirname, '../..');
const operator = crypto.randomBytes(24).toString('hex');

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

interface Start {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `cohortflow start` as a user runs it (the bin script), in its own process group. */
function start(env: Record<string, string>): Start {
  const child = spawn(process.execPath, [path.join(root, 'bin/cohortflow.js'), 'start'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

describe('cohortflow start on a data folder', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cohortflow-lifecycle-'));
  const dataDir = path.join(home, 'data');
  const started: Start[] = [];
  let env: Record<string, string>;
  let api: string;

  const instance = () => JSON.parse(fs.readFileSync(path.join(dataDir, 'instance.json'), 'utf8')) as InstanceRecord;

  /** Up the first time: banner and /health, then a refresh whose status the worker answers through Temporal. */
  async function startHealthy(): Promise<Start> {
    const s = start(env);
    started.push(s);
    await eventually(
      async () => {
        if (s.child.exitCode !== null) throw new Error(`cohortflow start exited ${s.child.exitCode}:\n${s.output()}`);
        const health = await fetch(`${api}/health`).catch(() => undefined);
        return s.output().includes('cohortflow is running') && health?.status === 200;
      },
      (up) => up,
      'the banner and /health',
      180_000,
    );
    const auth = { authorization: `Bearer ${operator}`, 'content-type': 'application/json' };
    const created = await fetch(`${api}/refreshes`, {
      method: 'POST',
      headers: auth,
      // Queued: a run of the instance before may still hold the tier at its approval gate.
      body: JSON.stringify({ rationale: 'is it up', queue: true }),
    });
    expect(created.status).toBe(202);
    const { workflowId } = (await created.json()) as { workflowId: string };
    const status = await eventually(
      async () => (await fetch(`${api}/refreshes/${workflowId}`, { headers: auth })).status,
      (code) => code === 200,
      'the status query answered by the worker',
      120_000,
    );
    expect(status).toBe(200);
    expect(s.child.exitCode).toBeNull();
    return s;
  }

  beforeAll(async () => {
    // Passable like a home folder: as root, the embedded PostgreSQL runs as the `postgres` account.
    fs.chmodSync(home, 0o711);
    const apiPort = await freePort();
    api = `http://127.0.0.1:${apiPort}`;
    env = {
      COHORTFLOW_DATA_DIR: dataDir,
      API_PORT: String(apiPort),
      // The same Temporal ports for every start: a leftover dev server would be in the way.
      TEMPORAL_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      COHORTFLOW_TOKENS: JSON.stringify({ [operator]: { user: 'olivia', roles: ['operator', 'viewer'] } }),
      LOG_LEVEL: 'warn',
    };
    delete process.env.DATABASE_URL;
    delete process.env.TEMPORAL_ADDRESS;
  });

  afterAll(async () => {
    for (const s of started)
      if (s.child.exitCode === null && s.child.signalCode === null) process.kill(-s.child.pid!, 'SIGKILL');
    const leftover = fs.existsSync(path.join(dataDir, 'instance.json')) ? instance().children : [];
    for (const c of leftover) await stopProcess(c.ref, [['SIGKILL', 5_000]]);
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("prints the exact exports another terminal needs, and serves the worker's metrics", async () => {
    const s = await startHealthy();
    // API_PORT is not where the CLI looks by default: the banner says where to look, exactly.
    expect(s.output()).toContain(`  export COHORTFLOW_API_URL=${api}\n`);
    expect(s.output()).toContain(`  export TEMPORAL_PORT=${env.TEMPORAL_PORT}\n`);
    const metricsUrl = /worker (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(s.output())?.[1];
    expect(metricsUrl).toBeDefined();
    const metrics = await eventually(
      async () => (await fetch(metricsUrl!)).text(),
      (text) => /^temporal_/m.test(text) && /^cohortflow_stage_seconds/m.test(text),
      "the SDK's and cohortflow's metrics on the worker",
    );
    expect(metrics).toMatch(/^temporal_worker_task_slots_available/m);
    // Settled before the next test lists the folder: the run has told its approvers (the outbox).
    await eventually(
      async () => fs.existsSync(path.join(dataDir, 'outbox')) && fs.readdirSync(path.join(dataDir, 'outbox')).length,
      (notices) => Boolean(notices),
      'the approval notice in the outbox',
      120_000,
    );
  });

  it('refuses a second start on the same folder, naming the running one, and changes nothing', async () => {
    // The running instance's own SQLite journal comes and goes; everything else must stay.
    const listing = () =>
      fs
        .readdirSync(dataDir)
        .filter((name) => !name.endsWith('-journal'))
        .sort();
    const before = fs.readFileSync(path.join(dataDir, 'instance.json'), 'utf8');
    const entries = listing();
    const first = instance();

    const second = start(env);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(
      `already running (pid ${first.owner.pid}, API on ${api}, Temporal on 127.0.0.1:${env.TEMPORAL_PORT})`,
    );
    expect(fs.readFileSync(path.join(dataDir, 'instance.json'), 'utf8')).toBe(before);
    expect(listing()).toEqual(entries);
    expect((await fetch(`${api}/health`)).status).toBe(200);
  });

  it.each([
    ['the start process alone', (pid: number) => process.kill(pid, 'SIGKILL')],
    ['its whole process group', (pid: number) => process.kill(-pid, 'SIGKILL')],
  ])(
    'after a SIGKILL of %s, the next start is healthy the first time and nothing of the killed one runs',
    async (_, kill) => {
      const killed = started[started.length - 1]!;
      const servers = instance().children;
      expect(servers.map((c) => c.name).sort()).toEqual(['postgres', 'temporal', 'watchdog']);
      kill(killed.child.pid!);
      await killed.exited;

      await startHealthy(); // at once: the killed one's servers may still be stopping
      for (const server of servers) expect({ [server.name]: isRunning(server.ref) }).toEqual({ [server.name]: false });
      expect(instance().owner.pid).toBe(started[started.length - 1]!.child.pid);
    },
  );

  it("survives an operator's pg_ctl restart of its PostgreSQL: keeps the new server and stops it with the rest", async () => {
    const running = started[started.length - 1]!;
    const before = instance().children.find((c) => c.name === 'postgres')!;
    const account = postgresAccount();
    const pgCtl = path.join(path.dirname(postgresBinaries(account).postgres), 'pg_ctl');
    // As the account PostgreSQL runs as (root cannot run pg_ctl), with the options it was started with.
    const restart = spawn(pgCtl, ['restart', '-D', path.join(dataDir, 'postgres'), '-m', 'fast', '-w'], {
      stdio: 'ignore',
      ...(account ? { uid: account.uid, gid: account.gid } : {}),
    });
    expect(await new Promise((resolve) => restart.once('exit', resolve))).toBe(0);

    const adopted = await eventually(
      async () => instance().children.find((c) => c.name === 'postgres'),
      (c) => c !== undefined && c.ref.pid !== before.ref.pid && isRunning(c.ref),
      'the restarted PostgreSQL in the instance file',
    );
    expect(isRunning(before.ref)).toBe(false);
    await eventually(
      async () => (await fetch(`${api}/health`)).status,
      (code) => code === 200,
      '/health after the restart',
    );
    expect(running.child.exitCode).toBeNull();
    expect(running.output()).toContain(`"pid":${adopted!.ref.pid}`);
  });

  it('keeps everything under the data folder from other users, and TCP needs the password', async () => {
    const open: string[] = [];
    const visit = (p: string) => {
      const s = fs.lstatSync(p, { throwIfNoEntry: false });
      if (!s || s.isSymbolicLink()) return;
      if (s.mode & 0o007) open.push(`${(s.mode & 0o777).toString(8)} ${p}`);
      if (s.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name));
    };
    visit(dataDir);
    expect(open).toEqual([]);

    const tcp = new URL(instance().postgres!);
    expect(tcp.hostname).toBe('127.0.0.1');
    const tryLogin = async (user: string, password: string) => {
      const client = new pg.Client({
        host: '127.0.0.1',
        port: Number(tcp.port),
        user,
        password,
        database: 'cohortflow',
      });
      try {
        await client.connect();
        return (await client.query<{ rule: string }>('SELECT DISTINCT auth_method AS rule FROM pg_hba_file_rules'))
          .rows;
      } catch (err) {
        return (err as Error).message;
      } finally {
        await client.end().catch(() => undefined);
      }
    };
    expect(await tryLogin('cohortflow', 'not-the-password')).toMatch(/password authentication failed/);
    expect(await tryLogin('postgres', 'postgres')).toMatch(/password authentication failed/);
    const password = fs.readFileSync(path.join(dataDir, 'postgres-password'), 'utf8').trim();
    expect(await tryLogin('cohortflow', password)).toEqual([{ rule: 'scram-sha-256' }]);
  });

  it('stops everything on Ctrl-C and leaves no instance behind', async () => {
    const running = started[started.length - 1]!;
    const servers = instance().children;
    process.kill(running.child.pid!, 'SIGINT');
    expect(await running.exited).toBe(0);
    const stillRunning = () => servers.filter((c) => isRunning(c.ref)).map((c) => c.name);
    expect(stillRunning().filter((name) => name !== 'watchdog')).toEqual([]);
    await eventually(
      async () => stillRunning(),
      (names) => names.length === 0,
      'the watchdog to go',
      10_000,
    );
    expect(fs.existsSync(path.join(dataDir, 'instance.json'))).toBe(false);
  });

  it('stops everything and exits 1 when the Temporal dev server dies under it, rather than serve a broken API', async () => {
    const running = await startHealthy();
    const servers = instance().children;
    const temporal = servers.find((c) => c.name === 'temporal')!;
    process.kill(temporal.ref.pid, 'SIGKILL');
    expect(await running.exited).toBe(1);
    expect(running.output()).toContain('the Temporal dev server exited (signal SIGKILL)');
    const stillRunning = () => servers.filter((c) => isRunning(c.ref)).map((c) => c.name);
    expect(stillRunning().filter((name) => name !== 'watchdog')).toEqual([]);
    await eventually(
      async () => stillRunning(),
      (names) => names.length === 0,
      'the watchdog to go',
      10_000,
    );
    expect(fs.existsSync(path.join(dataDir, 'instance.json'))).toBe(false);
  });
});
