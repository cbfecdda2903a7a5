import type { ProcessRef, StopPlan } from './process-identity';
import type { Watchdog } from './watchdog';

/** Stop plans: PostgreSQL's fast shutdown, then immediate, then kill; the dev server's TERM, then kill. */
export const POSTGRES_STOP: StopPlan = [
  ['SIGINT', 30_000],
  ['SIGQUIT', 5_000],
  ['SIGKILL', 5_000],
];
export const TEMPORAL_STOP: StopPlan = [
  ['SIGTERM', 10_000],
  ['SIGKILL', 5_000],
];

/**
 * Where a started server is registered so it cannot outlive us: the watchdog (and, for
 * `cohortflow start`, the data folder's instance file, so the next start knows its leftovers).
 */
export interface ChildGuard {
  track(name: string, ref: ProcessRef, plan: StopPlan): void;
  untrack(pid: number): void;
}

export const watchdogGuard = (watchdog: Watchdog): ChildGuard => ({
  track: (name, ref, plan) => watchdog.watch(name, ref, plan),
  untrack: (pid) => watchdog.unwatch(pid),
});
