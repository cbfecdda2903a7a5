import { signProof } from '../governance/decision-proof';
import type { SigningKey } from '../governance/proof-keys';
import {
  refreshStartExpectation,
  rollbackStartExpectation,
  scheduledWorkflowPrefix,
  sortedUnique,
} from '../workflows/proof-rules';
import type { CohortRollbackInput, DecisionInput, RefreshInput, RefreshStatus, RollbackInput } from '../shared';

// The messages the API sends a run, each with the proof of the authenticated user who sent it.
// The same functions serve the API's own Updates and `cohortflow refresh proof`, which prints a
// message to paste into `temporal workflow update execute` or `signal`.

export interface Signed<T> {
  message: T;
  expiresAt?: string;
}

/** Every cohort still waiting at the gate: what a decision naming none covers, bound explicitly. */
export const waitingCohorts = (status: RefreshStatus): string[] =>
  (status.approval?.cohorts ?? []).filter((c) => c.state === 'waiting').map((c) => c.cohortId);

/** What a rollback naming no cohorts covers: every cohort the run published and has not rolled back. */
export const rollbackCandidates = (status: RefreshStatus): string[] => {
  const done = new Set((status.rollbacks ?? []).flatMap((r) => r.cohorts));
  return (status.watch?.published ?? []).filter((c) => !done.has(c));
};

export function signedDecision(
  key: SigningKey,
  workflowId: string,
  waiting: string[],
  d: Omit<DecisionInput, 'proof'>,
): Signed<DecisionInput> {
  const runWide = !d.cohorts?.length;
  const { proof, expiresAt } = signProof(key, {
    user: d.approver,
    action: d.decision,
    workflowId,
    cohorts: runWide ? sortedUnique(waiting) : sortedUnique(d.cohorts!),
    runWide,
    text: d.comment ?? '',
  });
  return { message: { ...d, proof }, expiresAt };
}

export function signedRollback(
  key: SigningKey,
  workflowId: string,
  candidates: string[],
  r: Omit<RollbackInput, 'proof'>,
): Signed<RollbackInput> {
  const runWide = !r.cohorts?.length;
  const { proof, expiresAt } = signProof(key, {
    user: r.requestedBy,
    action: 'rollback',
    workflowId,
    cohorts: runWide ? sortedUnique(candidates) : sortedUnique(r.cohorts!),
    runWide,
    text: r.reason,
  });
  return { message: { ...r, proof }, expiresAt };
}

export function signedRollbackDecision(
  key: SigningKey,
  workflowId: string,
  cohortId: string,
  d: Omit<DecisionInput, 'proof' | 'cohorts' | 'runId'>,
): Signed<DecisionInput> {
  const { proof, expiresAt } = signProof(key, {
    user: d.approver,
    action: d.decision === 'approve' ? 'rollback-approve' : 'rollback-reject',
    workflowId,
    cohorts: [cohortId],
    runWide: false,
    text: d.comment ?? '',
  });
  return { message: { ...d, proof }, expiresAt };
}

export function signedRefreshStart(key: SigningKey, workflowId: string, input: Omit<RefreshInput, 'requestProof'>) {
  return { ...input, requestProof: signProof(key, refreshStartExpectation(input, workflowId)).proof };
}

/**
 * A schedule's start proof: it never expires and covers every run of the schedule (ids
 * `<workflowId>-<time>`) with exactly this input. Copied out of the schedule, it can start only
 * what `temporal schedule trigger` would; the schedules are re-signed at every API start.
 */
export function signedScheduledStart(key: SigningKey, workflowId: string, input: Omit<RefreshInput, 'requestProof'>) {
  const { proof } = signProof(key, refreshStartExpectation(input, scheduledWorkflowPrefix(workflowId)), {
    ttlSeconds: null,
    workflowPrefix: true,
  });
  return { ...input, requestProof: proof };
}

export function signedRollbackStart(
  key: SigningKey,
  workflowId: string,
  input: Omit<CohortRollbackInput, 'requestProof'>,
): CohortRollbackInput {
  return { ...input, requestProof: signProof(key, rollbackStartExpectation(input, workflowId)).proof };
}
