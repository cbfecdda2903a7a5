import { Context } from '@temporalio/activity';
import { checkProof } from '../governance/decision-proof';
import { useStartProof } from '../governance/start-proofs';
import type { ApprovalPolicy, ProofCheck, ProofExpectation } from '../shared';
import { activityLog, invalidInput } from './context';
import type { ActivityDeps } from './deps';

export interface ProofInput {
  proof?: string;
  expected: ProofExpectation;
}

/**
 * Checks a decision's proof against the worker's keyring: signature, key, time and every field
 * it binds. A local activity: node:crypto is not available inside the workflow sandbox.
 */
export async function verifyProof(deps: ActivityDeps, input: ProofInput): Promise<ProofCheck> {
  const check = checkProof(deps.keyring ?? new Map(), input.proof, input.expected);
  if (!check.valid)
    activityLog(deps.log).warn(
      { claimedBy: input.expected.user, action: input.expected.action, reason: check.reason },
      'unproven message refused',
    );
  return check;
}

/** Checks a start's proof like a decision's, and that no other run was started with it. */
export async function verifyStart(deps: ActivityDeps, input: ProofInput): Promise<ProofCheck> {
  const check = await verifyProof(deps, input);
  if (!check.valid || !check.nonce) return check;
  const first = await useStartProof(deps.db, {
    nonce: check.nonce,
    workflowId: input.expected.workflowId,
    temporalRunId: Context.current().info.workflowExecution?.runId ?? '',
  });
  return first ? check : { valid: false, reason: 'its proof started another run already; each start proof starts one' };
}

/** The server's configured approval policy: what a run decides by, never its input. */
export async function approvalPolicy(deps: ActivityDeps, _input: { runId: string }): Promise<ApprovalPolicy> {
  if (!deps.policy) throw invalidInput('this worker has no approval policy configured');
  return deps.policy;
}
