import type { Db, Queryable } from '../data/db';
import type { Cadence, RefreshOutcomeKind, TierScope } from '../shared';
import { appendAudit } from '../data/audit';
import { releaseSlots } from './refresh-slots';

// A refresh run's own row in `runs`: who asked and why, the asOf it computed for, how it ended.
// Every change to it is audited in the same transaction, keyed by the run so a retry adds nothing.

export interface RunRequest {
  runId: string;
  cadence: Cadence;
  tier: TierScope;
  requestedBy: string;
  rationale: string;
}

/** Records who asked for the run and why; a retry finds the row and changes nothing. */
export async function registerRun(db: Db, run: RunRequest): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO runs (run_id, cadence, tier, requested_by, rationale) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (run_id) DO NOTHING`,
      [run.runId, run.cadence, run.tier, run.requestedBy, run.rationale],
    );
    await appendAudit(tx, {
      key: `run:${run.runId}:started`,
      runId: run.runId,
      actor: run.requestedBy,
      action: 'run.started',
      details: { cadence: run.cadence, tier: run.tier, rationale: run.rationale },
    });
  });
}

/** The point in time the run computes for, fixed once its ingest is done. */
export async function recordAsOf(db: Queryable, runId: string, asOf: string): Promise<void> {
  await db.query('UPDATE runs SET as_of = $2 WHERE run_id = $1', [runId, asOf]);
}

/** How the run ended (published is set when publishing ends, before the watch window); audited once per outcome. */
export async function recordOutcome(db: Db, runId: string, outcome: RefreshOutcomeKind): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('UPDATE runs SET outcome = $2 WHERE run_id = $1 AND outcome IS DISTINCT FROM $2', [runId, outcome]);
    // Settled: the tier's next refresh may start (its watch window does not hold the tier).
    await releaseSlots(tx, runId);
    await appendAudit(tx, {
      key: `run:${runId}:outcome:${outcome}`,
      runId,
      actor: 'cohortflow',
      action: `run.${outcome}`,
    });
  });
}
