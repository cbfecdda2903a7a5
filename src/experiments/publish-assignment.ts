import type { Queryable } from '../data/db';
import { appendAudit } from '../data/audit';
import { reallocate, type ArmOutcomes, type ReallocationEvidence } from './adaptive-allocation';
import { type ExperimentDefinition } from './experiment';
import { allocationsOf, insertAllocation, runningExperimentOf } from './experiment-store';
import { armFigures } from './kpi-figures';
import { seededRandom } from './random';

// Assignment at publish. It runs inside the publish transaction, right after the cohort's pointer
// moves: a member's arm exists exactly when the version that made it a member is published, the
// assignment time is the publish time (the treatment cannot start earlier, whatever the asOf),
// and a delivery planned afterwards always finds every member's arm. A retried publish finds
// its assignments and its reallocation already recorded and adds nothing.

export interface PublishAssignment {
  experimentId: string;
  /** Members of the snapshot assigned now (0 on a retry: everyone already has an arm). */
  assigned: number;
  /** The allocation the new members were assigned under. */
  allocationVersion: number;
  reallocation: ReallocationEvidence['decision'] | null;
}

/** The seed of a refresh's reallocation: recorded, so the decision can be recomputed exactly. */
export const reallocationSeed = (experimentId: string, runId: string) => `${experimentId}:${runId}`;

/**
 * With adaptive allocation, the shares new members get this refresh: Thompson sampling on the
 * members measured so far. Recorded once per (experiment, run) with its evidence; a warming-up
 * decision is recorded too and keeps the version.
 */
async function reallocateAtPublish(
  tx: Queryable,
  e: ExperimentDefinition,
  runId: string,
  at: Date,
): Promise<ReallocationEvidence['decision']> {
  const done = await tx.query<{ decision: ReallocationEvidence['decision'] }>(
    'SELECT decision FROM experiment_reallocations WHERE experiment_id = $1 AND run_id = $2',
    [e.id, runId],
  );
  if (done.rows[0]) return done.rows[0].decision;
  const allocations = await allocationsOf(tx, e.id);
  const previous = allocations[allocations.length - 1]!;
  const outcomes: ArmOutcomes[] = (await armFigures(tx, e, at))
    .filter((f) => !e.arms.find((a) => a.id === f.arm)!.holdout)
    .map((f) => ({ arm: f.arm, successes: f.successes ?? 0, failures: f.measured - (f.successes ?? 0) }));
  const seed = reallocationSeed(e.id, runId);
  const next = reallocate(e, previous, outcomes, seededRandom(seed));
  if (next.allocation.version !== previous.version) await insertAllocation(tx, e.id, next.allocation, runId);
  await tx.query(
    `INSERT INTO experiment_reallocations (experiment_id, run_id, decision, from_version, to_version, seed, evidence, decided_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [e.id, runId, next.evidence.decision, previous.version, next.allocation.version, seed, next.evidence, at],
  );
  await appendAudit(tx, {
    key: `experiment:${e.id}:run:${runId}:reallocation`,
    runId,
    actor: 'policy',
    action: 'experiment.reallocated',
    details: {
      experimentId: e.id,
      decision: next.evidence.decision,
      fromVersion: previous.version,
      toVersion: next.allocation.version,
      seed,
      shares: Object.fromEntries(next.allocation.arms.map((a) => [a.arm, a.share])),
    },
  });
  return next.evidence.decision;
}

/**
 * Assigns the published snapshot's new members in the cohort's running experiment, if it has one.
 * A rollback restoring an older snapshot assigns its members too (one may predate the
 * experiment), but never reallocates: it is not a refresh with new evidence.
 */
export async function assignAtPublish(
  tx: Queryable,
  input: { runId: string; cohortId: string; snapshotId: string; reallocate?: boolean },
): Promise<PublishAssignment | null> {
  const e = await runningExperimentOf(tx, input.cohortId);
  if (!e) return null;
  // The transaction's start time: the pointer moved and the assignments happen at one instant.
  const now = (await tx.query<{ now: Date }>('SELECT now() AS now')).rows[0]!.now;
  const reallocation =
    e.adaptive && input.reallocate !== false ? await reallocateAtPublish(tx, e, input.runId, now) : null;
  const assigned = await tx.query<{ n: number; version: number }>(
    `SELECT experiment_assign($1, $2, $3, $4) AS n,
            (SELECT max(version) FROM experiment_allocations WHERE experiment_id = $1) AS version`,
    [e.id, input.snapshotId, input.runId, now],
  );
  const row = assigned.rows[0]!;
  return { experimentId: e.id, assigned: row.n, allocationVersion: row.version, reallocation };
}
