// Proofs of who decided: a message that changes what is published carries one, signed by the
// API for the user its bearer token names, and the workflow checks it before acting.

/** What a proof lets its holder do, once. */
export type ProofAction =
  'start' | 'approve' | 'reject' | 'request-changes' | 'rollback' | 'rollback-approve' | 'rollback-reject';

/** What a message says, to compare with what its proof was signed for. */
export interface ProofExpectation {
  /** The user the message names (approver, requestedBy). */
  user: string;
  action: ProofAction;
  /** The workflow the message was sent to. */
  workflowId: string;
  /** The cohorts the message acts on, resolved (e.g. every cohort still waiting), sorted. */
  cohorts: string[];
  /** True when the message names no cohorts: the whole run (a reject ends it). */
  runWide: boolean;
  /** The comment, reason or, for a start, the canonical input the proof covers. */
  text: string;
}

export type ProofCheck = { valid: true; nonce?: string; expiresAt?: string } | { valid: false; reason: string };
