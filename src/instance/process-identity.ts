import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/**
 * A process as it was when we started it: its pid plus its start time, so a pid the system has
 * since given to another program is never mistaken for ours, and `marker`, a piece of its command
 * line (e.g. its data folder) that names what it serves.
 */
export interface ProcessRef {
  pid: number;
  startTime: string;
  marker: string;
}

/** What the system says about a live process, or undefined once it is gone. */
function inspect(pid: number): { startTime: string; command: string } | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (fs.existsSync('/proc/self/stat')) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // Fields after the command name, which may itself hold spaces and parentheses.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || fields[0] === 'X') return undefined; // exited, not yet reaped
      const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      return { startTime: fields[19]!, command };
    } catch {
      return undefined;
    }
  }
  try {
    const out = execFileSync('ps', ['-o', 'lstart=,command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    // lstart is always 24 characters wide ("Mon Nov 30 03:14:38 2026").
    return out ? { startTime: out.slice(0, 24), command: out.slice(25) } : undefined;
  } catch {
    return undefined;
  }
}

/** The reference to record for a process we just started (or ourselves). */
export function processRef(pid: number, marker: string): ProcessRef | undefined {
  const seen = inspect(pid);
  return seen && { pid, startTime: seen.startTime, marker };
}

/** True while the very process recorded in ref runs: same pid, same start, marker in its command line. */
export function isRunning(ref: ProcessRef): boolean {
  const seen = inspect(ref.pid);
  return seen !== undefined && seen.startTime === ref.startTime && seen.command.includes(ref.marker);
}

/** The command line of a live process, for checking a pid read from a file before signalling it. */
export function commandOf(pid: number): string | undefined {
  return inspect(pid)?.command;
}

/** Each signal in turn, waiting up to its time for the process to end; never signals another process. */
export type StopPlan = Array<[NodeJS.Signals, number]>;

export async function stopProcess(ref: ProcessRef, plan: StopPlan): Promise<boolean> {
  for (const [signal, waitMs] of plan) {
    if (!isRunning(ref)) return true;
    try {
      process.kill(ref.pid, signal);
    } catch {
      return !isRunning(ref);
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && isRunning(ref)) await new Promise((r) => setTimeout(r, 50));
  }
  return !isRunning(ref);
}
