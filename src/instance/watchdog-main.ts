import fs from 'node:fs';
import readline from 'node:readline';
import { isRunning, stopProcess, type ProcessRef, type StopPlan } from './process-identity';

/**
 * The watchdog process (see watchdog.ts). Its standard input is a pipe from the process that
 * started it, carrying one JSON message a line; end of input means that process has ended, by
 * Ctrl-C or by SIGKILL alike, and whatever is still watched gets stopped.
 */
export type WatchdogMessage =
  | { op: 'watch'; name: string; ref: ProcessRef; plan: StopPlan }
  | { op: 'unwatch'; pid: number }
  | { op: 'remove-on-exit'; dir: string };

const watched = new Map<number, { name: string; ref: ProcessRef; plan: StopPlan }>();
const removals: string[] = [];
const note = (message: string) => process.stderr.write(`${new Date().toISOString()} watchdog: ${message}\n`);

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  try {
    const m = JSON.parse(line) as WatchdogMessage;
    if (m.op === 'watch') watched.set(m.ref.pid, m);
    else if (m.op === 'unwatch') watched.delete(m.pid);
    else removals.push(m.dir);
  } catch (err) {
    note(`ignored a message it could not read: ${(err as Error).message}`);
  }
});

let ending = false;
async function stopWatched(): Promise<void> {
  if (ending) return;
  ending = true;
  await Promise.all(
    [...watched.values()].map(async ({ name, ref, plan }) => {
      if (!isRunning(ref)) return;
      const stopped = await stopProcess(ref, plan);
      note(`${name} (pid ${ref.pid}) outlived its parent: ${stopped ? 'stopped' : 'could not be stopped'}`);
    }),
  );
  for (const dir of removals) fs.rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

process.stdin.on('close', () => void stopWatched());
// Its own session keeps terminal signals away, so these come from someone who means them: the
// watched processes then end with the watchdog rather than lose their guard.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopWatched());
