import { appendAudit } from '../data/audit';
import { recordOutcome as recordRunOutcome, registerRun as recordRun, type RunRequest } from '../governance/run-record';
import { claimSlots, type SlotClaim } from '../governance/refresh-slots';
import type { RefreshOutcomeKind, TierScope } from '../shared';
import { activityKey, activityLog } from './context';
import { countRunFinished } from './metrics';
import type { ActivityDeps } from './deps';

/** Records who asked for the run and why; a retry finds the row and changes nothing. */
export async function registerRun(deps: ActivityDeps, input: RunRequest): Promise<void> {
  await recordRun(deps.db, input);
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
  await appendAudit(deps.db, { key: activityKey(), ...input });
  activityLog(deps.log, { runId: input.runId }).info(
    { actor: input.actor, action: input.action, ...input.details },
    'audited',
  );
}

/** Claims the run's tiers (one active refresh per tier); names the active run holding one. */
export async function claimRefreshSlots(
  deps: ActivityDeps,
  input: { runId: string; scope: TierScope },
): Promise<SlotClaim> {
  const claim = await claimSlots(deps.db, { ...input, isRunOpen: deps.isRunOpen });
  activityLog(deps.log, { runId: input.runId }).info(claim, 'refresh slots');
  return claim;
}

export async function recordOutcome(
  deps: ActivityDeps,
  input: { runId: string; outcome: RefreshOutcomeKind },
): Promise<void> {
  await recordRunOutcome(deps.db, input.runId, input.outcome);
  countRunFinished(input.outcome);
  activityLog(deps.log, { runId: input.runId }).info({ outcome: input.outcome }, 'run finished');
}
