import { tierRule } from './approval-rules';
import type { ApprovalPolicy, CohortTier, RollbackInput, RollbackRecord } from '../shared';

// Who may roll back what, as plain functions (no Temporal), like approval-rules.ts.
//
// Authorisation: a rollback undoes a publish, so it needs the same people who may approve the
// cohort's tier (tierRule of the run's policy). The requester of the rollback is its one approval:
// an eligible approver may roll back at once (it is a safety action taken under time pressure, and
// it only returns to a version that was itself approved); anyone else is refused.

export interface WatchState {
  runId: string;
  /** The run's policy; set when the window opens (nothing is published before). */
  policy?: ApprovalPolicy;
  /** What the run published, with each cohort's tier; empty when it published nothing. */
  published: Array<{ cohortId: string; tier: CohortTier }>;
  open: boolean;
  closesAt?: string;
  rollbacks: RollbackRecord[];
}

/** The cohorts a rollback covers: those named, or every published cohort not rolled back yet. */
export function rollbackTargets(w: WatchState, r: RollbackInput): string[] {
  if (r.cohorts?.length) return [...new Set(r.cohorts)];
  const done = new Set(w.rollbacks.flatMap((b) => b.cohorts));
  return w.published.map((p) => p.cohortId).filter((c) => !done.has(c));
}

/** A message that is not a rollback at all: said before anything else is checked. */
export function malformedRollback(r: RollbackInput): string | undefined {
  if (typeof r !== 'object' || r === null) return 'a rollback is an object: { requestedBy, reason, proof, … }';
  if (typeof r.requestedBy !== 'string' || !r.requestedBy.trim()) return 'a rollback names who requests it';
  if (typeof r.reason !== 'string' || !r.reason.trim()) return 'a rollback needs a reason';
  if (r.cohorts !== undefined && (!Array.isArray(r.cohorts) || r.cohorts.some((c) => typeof c !== 'string')))
    return 'cohorts must be a list of cohort ids';
  return undefined;
}

/** Why this rollback cannot be taken now, or undefined when it can. */
export function rollbackRefusal(w: WatchState, r: RollbackInput): string | undefined {
  const shape = malformedRollback(r);
  if (shape) return shape;
  if (w.published.length === 0 || !w.policy) return `run ${w.runId} has published nothing to roll back`;
  const policy = w.policy;
  if (!w.open)
    return `the run's watch window closed at ${w.closesAt}; restore an earlier version with \`cohortflow cohorts rollback <cohort> --to <version>\``;
  const unknown = (r.cohorts ?? []).filter((c) => !w.published.some((p) => p.cohortId === c));
  if (unknown.length > 0)
    return `not published by run ${w.runId}: ${unknown.join(', ')} (it published: ${w.published.map((p) => p.cohortId).join(', ')})`;
  const targets = rollbackTargets(w, r);
  const earlier = w.rollbacks.filter((b) => b.cohorts.some((c) => targets.includes(c)));
  if (targets.length === 0 || earlier.length > 0) {
    const by = (earlier.length ? earlier : w.rollbacks)
      .map((b) => `${b.cohorts.join(', ')} by ${b.by} at ${b.at} (${b.rollbackId})`)
      .join('; ');
    return `already rolled back: ${by}; nothing changed`;
  }
  const tiers = [...new Set(w.published.filter((p) => targets.includes(p.cohortId)).map((p) => p.tier))];
  const beyond = tiers.filter((t) => !tierRule(policy, t).approvers.includes(r.requestedBy));
  if (beyond.length > 0) {
    return `${r.requestedBy} may not roll back ${beyond.join(', ')} cohorts (rollback needs an approver of the tier — ${beyond.map((t) => `${t}: ${tierRule(policy, t).approvers.join(', ') || 'nobody configured'}`).join('; ')})`;
  }
  return undefined;
}
