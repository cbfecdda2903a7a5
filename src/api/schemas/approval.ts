import { z } from 'zod';
import type {
  ApprovalDecision as ApprovalDecisionType,
  ApprovalGateStatus as ApprovalGateStatusType,
  IgnoredMessage as IgnoredMessageType,
} from '../../shared';
import { same, type Same } from './common';

// Decisions and the approval gate as answers carry them (src/shared/approval.ts, as schemas).

export const CohortTier = z.enum(['strategic', 'tactical']);

const Sign = z.object({ by: z.string(), at: z.string(), comment: z.string().optional() });

export const ApprovalDecision = z
  .object({
    kind: z.enum(['approved', 'rejected', 'expired', 'changes-requested']),
    by: z.string(),
    at: z.string(),
    comment: z.string().optional(),
    via: z.enum(['update', 'signal', 'policy', 'deadline']),
    cohorts: z.array(z.string()).optional(),
    waiting: z.array(z.object({ cohortId: z.string(), approvalsNeeded: z.number() })).optional(),
  })
  .meta({ id: 'ApprovalDecision' });

export const ApprovalGateStatus = z.object({
  since: z.string(),
  deadline: z.string(),
  reason: z.string(),
  approvers: z.array(z.string()),
  excluded: z.array(z.string()),
  cohorts: z.array(
    z.object({
      cohortId: z.string(),
      tier: CohortTier,
      state: z.enum(['auto', 'waiting', 'approved', 'held']),
      reason: z.string(),
      approvalsRequired: z.number(),
      approvals: z.array(Sign),
      heldBy: Sign.optional(),
      failed: z.boolean(),
    }),
  ),
  remindersSent: z.number(),
});

export const IgnoredMessage = z.object({ name: z.string(), from: z.string(), reason: z.string(), at: z.string() });

/** A decision's body: a comment, and for a refresh the cohorts it covers. */
export const DecisionBody = z
  .object({
    comment: z.string().max(2000).optional(),
    /** The cohorts decided; omit to decide every cohort still waiting. */
    cohorts: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'a cohort id'))
      .max(500)
      .optional()
      .meta({ description: 'The cohorts decided; omit to decide every cohort still waiting.' }),
  })
  .strict();

same<Same<z.output<typeof ApprovalDecision>, ApprovalDecisionType>>(true);
same<Same<z.output<typeof ApprovalGateStatus>, ApprovalGateStatusType>>(true);
same<Same<z.output<typeof IgnoredMessage>, IgnoredMessageType>>(true);
