import type { PlannedCohort } from '../cohorts/run-compute';

/**
 * Runs `compute` for every planned cohort, each only after the cohorts it refers to, with at
 * most `limit` running at once. Plain workflow promises: deterministic on replay.
 */
export async function inDependencyOrder<T>(
  planned: PlannedCohort[],
  limit: number,
  compute: (p: PlannedCohort) => Promise<T>,
): Promise<T[]> {
  const done = new Map<string, Promise<T>>();
  let running = 0;
  const waiting: Array<() => void> = [];
  const slot = async () => {
    while (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
  };
  const release = () => {
    running -= 1;
    waiting.shift()?.();
  };
  const start = (p: PlannedCohort): Promise<T> => {
    let started = done.get(p.cohortId);
    if (!started) {
      started = (async () => {
        const needs = (p.dependsOn ?? [])
          .map((id) => planned.find((q) => q.cohortId === id))
          .filter((q): q is PlannedCohort => q !== undefined);
        await Promise.all(needs.map(start));
        await slot();
        try {
          return await compute(p);
        } finally {
          release();
        }
      })();
      done.set(p.cohortId, started);
    }
    return started;
  };
  return Promise.all(planned.map(start));
}
