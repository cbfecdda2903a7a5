import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { processRef, type ProcessRef, type StopPlan } from './process-identity';
import type { WatchdogMessage } from './watchdog-main';

/**
 * Keeps the servers we start (PostgreSQL, the Temporal dev server) from outliving us. They run in
 * their own process groups, so that Ctrl-C reaches us first and we stop them in order; but then a
 * SIGKILL of us (or of our group) would leave them running. The watchdog is a small process in
 * its own session holding the read end of a pipe whose only writer is us: when we end, however
 * we end, the kernel closes the pipe and the watchdog stops what is still registered.
 */
export interface Watchdog {
  readonly ref: ProcessRef;
  watch(name: string, ref: ProcessRef, plan: StopPlan): void;
  unwatch(pid: number): void;
  /** Removes dir once the watched processes are stopped (a throwaway test database). */
  removeOnExit(dir: string): void;
  /** Lets the watchdog go (after everything watched was stopped in order). */
  close(): void;
}

export function startWatchdog(options: { logFile?: string } = {}): Watchdog {
  const log = options.logFile ? fs.openSync(options.logFile, 'a', 0o600) : 'ignore';
  const main = path.join(__dirname, 'watchdog-main.ts');
  const child = spawn(process.execPath, ['--require', require.resolve('tsx/cjs'), main], {
    cwd: '/',
    detached: true,
    stdio: ['pipe', 'ignore', log],
  });
  if (typeof log === 'number') fs.closeSync(log);
  if (child.pid === undefined) throw new Error(`could not start the watchdog (${process.execPath} ${main})`);
  const ref = processRef(child.pid, main);
  if (!ref) throw new Error('the watchdog exited as soon as it started');
  // Neither the process nor its pipe may keep us alive: the pipe only has to end with us.
  child.unref();
  const stdin = child.stdin!;
  (stdin as unknown as { unref?: () => void }).unref?.();
  stdin.on('error', () => undefined); // a watchdog that died already; the next start cleans up
  const send = (m: WatchdogMessage) => {
    if (!stdin.destroyed) stdin.write(`${JSON.stringify(m)}\n`);
  };
  return {
    ref,
    watch: (name, watchedRef, plan) => send({ op: 'watch', name, ref: watchedRef, plan }),
    unwatch: (pid) => send({ op: 'unwatch', pid }),
    removeOnExit: (dir) => send({ op: 'remove-on-exit', dir }),
    close: () => stdin.end(),
  };
}
