import { z } from 'zod';
import type {
  CohortRollbackStatus as CohortRollbackStatusType,
  DeliveryResult as DeliveryResultType,
  RollbackRecord as RollbackRecordType,
} from '../../shared';
import { ApprovalDecision, CohortTier, IgnoredMessage } from './approval';
import { CohortId, CohortParams, ErrorBody, guarded, RefreshParams, RollbackParams, same, type Same } from './common';
import { route } from './contract';

// Rollback: during a run's watch window (an Update to the run), and later as a rollback run
// that restores a chosen version once an approver agrees.

export const DeliveryResult = z.object({
  cohortId: z.string(),
  destination: z.string(),
  adds: z.number(),
  removes: z.number(),
  delivered: z.boolean(),
  alreadyDelivered: z.boolean(),
});

export const RolledBackVersion = z.object({
  cohortId: z.string(),
  version: z.number(),
  restoresVersion: z.number().nullable(),
  snapshotId: z.string().nullable(),
  alreadyRestored: z.boolean(),
});

const RollbackRecordBase = z.object({
  rollbackId: z.string(),
  by: z.string(),
  reason: z.string(),
  at: z.string(),
  via: z.enum(['update', 'signal']),
  cohorts: z.array(z.string()),
  versions: z.array(RolledBackVersion),
  deliveries: z.array(DeliveryResult),
});
export const RollbackRecord = RollbackRecordBase.extend({ rolledBack: z.array(RollbackRecordBase).optional() }).meta({
  id: 'RollbackRecord',
});

export const CohortRollbackStatus = z.object({
  rollbackId: z.string(),
  cohortId: z.string(),
  toVersion: z.number(),
  requestedBy: z.string(),
  reason: z.string(),
  stage: z.enum(['validating', 'awaiting-approval', 'restoring', 'done']),
  tier: CohortTier.optional(),
  approvers: z.array(z.string()),
  deadline: z.string().optional(),
  decision: ApprovalDecision.optional(),
  restored: RolledBackVersion.optional(),
  deliveries: z.array(DeliveryResult).optional(),
  outcome: z.enum(['restored', 'rejected', 'expired', 'invalid']).optional(),
  failure: z.string().optional(),
  ignored: z.array(IgnoredMessage),
});

const Reason = z.string().trim().min(3, 'say why this is rolled back').max(2000);

export const rollbackRefresh = route({
  method: 'POST',
  url: '/refreshes/:id/rollback',
  roles: ['operator', 'approver'],
  tags: ['rollbacks'],
  summary: 'Roll back what a refresh published, during its watch window',
  description:
    'Restores the snapshots the run replaced (default: every cohort it published) as new versions and delivers the compensating diffs. 409 when refused: window closed, nothing published, not an approver of the tier, already rolled back, unknown cohort.',
  schema: {
    params: RefreshParams,
    body: z.object({ reason: Reason, cohorts: z.array(CohortId).max(500).optional() }).strict(),
    response: { 200: RollbackRecord, ...guarded, 404: ErrorBody, 409: ErrorBody },
  },
});

export const StartedRollback = z.object({ workflowId: z.string(), alreadyRunning: z.boolean().optional() });

export const startCohortRollback = route({
  method: 'POST',
  url: '/cohorts/:id/rollback',
  roles: ['operator'],
  tags: ['rollbacks'],
  summary: 'Start a rollback run that restores a published version',
  description:
    '202 with the rollback run; 200 with alreadyRunning when one for that version is still running. 404 for a version the cohort never published.',
  schema: {
    params: CohortParams,
    body: z.object({ toVersion: z.number().int().min(1), reason: Reason }).strict(),
    response: { 200: StartedRollback, 202: StartedRollback, ...guarded, 404: ErrorBody },
  },
});

export const rollbackStatus = route({
  method: 'GET',
  url: '/rollbacks/:id',
  roles: ['viewer'],
  tags: ['rollbacks'],
  summary: 'A rollback run: target, tier, approvers, decision, the version it wrote, outcome',
  schema: { params: RollbackParams, response: { 200: CohortRollbackStatus, ...guarded, 404: ErrorBody } },
});

const rollbackDecision = (decision: 'approve' | 'reject') =>
  route({
    method: 'POST',
    url: `/rollbacks/:id/${decision}`,
    roles: ['approver'],
    tags: ['rollbacks'],
    summary: `${decision === 'approve' ? 'Approve' : 'Reject'} a rollback run (four eyes: never the person who asked)`,
    schema: {
      params: RollbackParams,
      body: z.object({ comment: z.string().max(2000).optional() }).strict(),
      response: { 200: ApprovalDecision, ...guarded, 404: ErrorBody, 409: ErrorBody },
    },
  });
export const approveRollback = rollbackDecision('approve');
export const rejectRollback = rollbackDecision('reject');

same<Same<z.output<typeof DeliveryResult>, DeliveryResultType>>(true);
same<Same<z.output<typeof RollbackRecord>, RollbackRecordType>>(true);
same<Same<z.output<typeof CohortRollbackStatus>, CohortRollbackStatusType>>(true);
