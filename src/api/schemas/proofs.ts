import { z } from 'zod';
import { DecisionBody } from './approval';
import { CohortId, guarded, ErrorBody, RefreshParams, RollbackParams } from './common';
import { route } from './contract';

// Proofs for people who send a decision another way than through this API (the `temporal` CLI):
// the API signs the message for the caller its token names and says what to paste.

export const ProofAnswer = z
  .object({
    workflowId: z.string(),
    /** The Update (and signal, where a run takes one) that carries the message. */
    update: z.string(),
    signal: z.string().optional(),
    /** The message to send: the decision with its proof. */
    input: z.record(z.string(), z.unknown()),
    expiresAt: z.string().optional(),
    /** The commands to paste, with the message quoted for a POSIX shell. */
    commands: z.object({ update: z.string(), signal: z.string().optional() }),
  })
  .meta({ id: 'ProofAnswer' });

export const refreshProof = route({
  method: 'POST',
  url: '/refreshes/:id/proofs',
  roles: ['approver', 'operator'],
  tags: ['refreshes'],
  summary: 'A signed decision or rollback for this run, to send with the temporal CLI',
  description:
    'The message carries proof of the caller (from the token), bound to this run, the action, the cohorts (those waiting, or those published, when none are named) and the comment or reason; it is good for 15 minutes and once. Deciding needs the approver role; a rollback, operator or approver.',
  schema: {
    params: RefreshParams,
    body: z.discriminatedUnion('action', [
      DecisionBody.extend({ action: z.enum(['approve', 'reject', 'request-changes']) }).strict(),
      z
        .object({
          action: z.literal('rollback'),
          reason: z.string().trim().min(3, 'say why this is rolled back').max(2000),
          cohorts: z.array(CohortId).max(500).optional(),
        })
        .strict(),
    ]),
    response: { 200: ProofAnswer, ...guarded, 404: ErrorBody },
  },
});

export const rollbackProof = route({
  method: 'POST',
  url: '/rollbacks/:id/proofs',
  roles: ['approver'],
  tags: ['rollbacks'],
  summary: 'A signed decision for this rollback run, to send with the temporal CLI',
  schema: {
    params: RollbackParams,
    body: z.object({ decision: z.enum(['approve', 'reject']), comment: z.string().max(2000).optional() }).strict(),
    response: { 200: ProofAnswer, ...guarded, 404: ErrorBody },
  },
});
