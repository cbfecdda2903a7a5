import type { ActivityDeps } from './deps';
import { activityKey, activityLog } from './context';
import type { Cadence, RefreshOutcomeKind, TierScope } from '../shared';

export interface RegisterRunInput {
  runId: string;
  cadence: Cadence;
  tier: TierScope;
  requestedBy: string;
  rationale: string;
}

/** Records who asked for the run and why; a retry finds the row and changes nothing. */
export async function registerRun(deps: ActivityDeps, input: RegisterRunInput): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const inserted = await tx.query(
      `INSERT INTO runs (run_id, cadence, tier, requested_by, rationale) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (run_id) DO NOTHING`,
      [input.runId, input.cadence, input.tier, input.requestedBy, input.rationale],
    );
    if (inserted.rowCount) {
      await tx.query(`INSERT INTO audit_log (run_id, actor, action, details) VALUES ($1, $2, 'run.started', $3)`, [
        input.runId,
        input.requestedBy,
        { cadence: input.cadence, tier: input.tier, rationale: input.rationale },
      ]);
    }
  });
  activityLog(deps.log, { runId: input.runId }).info({ cadence: input.cadence, tier: input.tier }, 'run registered');
}

export interface AuditInput {
  runId: string;
  actor: string;
  action: string;
  details: Record<string, unknown>;
}

/** Appends one audit row; keyed by the activity execution so a retry never writes it twice. */
export async function audit(deps: ActivityDeps, input: AuditInput): Promise<void> {
  await deps.db.query(
    `INSERT INTO audit_log (key, run_id, actor, action, details) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING`,
    [activityKey(), input.runId, input.actor, input.action, input.details],
  );
  activityLog(deps.log, { runId: input.runId }).info(
    { actor: input.actor, action: input.action, ...input.details },
    'audited',
  );
}

export async function recordOutcome(
  deps: ActivityDeps,
  input: { runId: string; outcome: RefreshOutcomeKind },
): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const updated = await tx.query('UPDATE runs SET outcome = $2 WHERE run_id = $1 AND outcome IS DISTINCT FROM $2', [
      input.runId,
      input.outcome,
    ]);
    if (updated.rowCount) {
      await tx.query(`INSERT INTO audit_log (run_id, actor, action, details) VALUES ($1, 'cohortflow', $2, '{}')`, [
        input.runId,
        `run.${input.outcome}`,
      ]);
    }
  });
  activityLog(deps.log, { runId: input.runId }).info({ outcome: input.outcome }, 'run finished');
}
