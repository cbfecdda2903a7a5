import { Context } from '@temporalio/activity';
import { InvalidDefinitionError } from '../cohorts/catalog';
import {
  computeSnapshot,
  dropMeasures,
  materialiseMeasures,
  planRun,
  type PlannedCohort,
  type WaitingForModels,
} from '../cohorts/run-compute';
import { recordAsOf } from '../governance/run-record';
import type { SnapshotRef, TierScope } from '../shared';
import { appendAudit } from '../data/audit';
import { activityKey, activityLog, invalidInput } from './context';
import { countComputed } from './metrics';
import type { ActivityDeps } from './deps';

export type { PlannedCohort };

/** A long statement cannot heartbeat from inside Postgres: the activity does, while it waits. */
export async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => Context.current().heartbeat(), 10_000);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/** An invalid catalog or a refused change stops the run: no retry fixes it. */
async function definitionsChecked<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof InvalidDefinitionError) throw invalidInput(err.message);
    throw err;
  }
}

/** Validates the catalog, records new versions, and fixes what the run computes and in which order. */
export async function planCompute(
  deps: ActivityDeps,
  input: { runId: string; asOf: string; tier: TierScope; author: string; rationale: string },
): Promise<PlannedCohort[]> {
  await recordAsOf(deps.db, input.runId, input.asOf);
  let waiting: WaitingForModels[] = [];
  const planned = await definitionsChecked(() => planRun(deps.db, deps.catalogDir, input, (w) => (waiting = w)));
  const log = activityLog(deps.log, { runId: input.runId });
  log.info({ cohorts: planned.length, tier: input.tier }, 'planned compute');
  if (waiting.length > 0) {
    // Not an error: the rest of the catalog goes on; the trail says which cohorts wait and for what.
    const reason = 'a score the cohort reads has no current model version: fit one and approve it through a refresh';
    log.warn({ waiting }, 'cohorts wait for model versions');
    await appendAudit(deps.db, {
      key: `${activityKey()}:models`,
      runId: input.runId,
      actor: 'cohortflow',
      action: 'compute.waiting_for_models',
      details: { cohorts: waiting, reason },
    });
  }
  return planned;
}

/** One pass for every measure the run needs; ids and counts come back, not data. */
export async function materialiseRunMeasures(
  deps: ActivityDeps,
  input: { runId: string; asOf: string },
): Promise<{ table: string; rows: number; measures: number }> {
  const t0 = Date.now();
  const built = await heartbeating(() => definitionsChecked(() => materialiseMeasures(deps.db, input)));
  activityLog(deps.log, { runId: input.runId }).info({ ...built, ms: Date.now() - t0 }, 'materialised measures');
  return built;
}

export async function dropRunMeasures(deps: ActivityDeps, input: { runId: string }): Promise<void> {
  await dropMeasures(deps.db, input);
}

/** Evaluates one cohort into an immutable snapshot; idempotent per (run, cohort). */
export async function computeCohort(
  deps: ActivityDeps,
  input: { runId: string; cohortId: string; definitionVersion: number; asOf: string },
): Promise<SnapshotRef> {
  const t0 = Date.now();
  const s = await heartbeating(() => definitionsChecked(() => computeSnapshot(deps.db, input)));
  countComputed(input.cohortId, s.size);
  activityLog(deps.log, { runId: input.runId, cohortId: input.cohortId }).info(
    { snapshotId: s.snapshotId, size: s.size, contentHash: s.contentHash, ms: Date.now() - t0 },
    'computed cohort',
  );
  return { cohortId: input.cohortId, ...s };
}
