import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  ApprovalDecision,
  CohortRollbackStatus,
  DecisionInput,
  RefreshStatus,
  RollbackInput,
  RollbackRecord,
} from '../shared';

/** Approve, reject (hold back) or request changes synchronously; the validator refuses with a reason (see approval-rules.ts). */
export const decide = defineUpdate<ApprovalDecision, [DecisionInput]>('decide');

/** Fire-and-forget fallbacks; an invalid one is ignored and audited, never acted on. */
export const approveSignal = defineSignal<[Omit<DecisionInput, 'decision'>]>('approve');
export const rejectSignal = defineSignal<[Omit<DecisionInput, 'decision'>]>('reject');
export const requestChangesSignal = defineSignal<[Omit<DecisionInput, 'decision'>]>('request-changes');

export const status = defineQuery<RefreshStatus>('status');

/** During the watch window: roll back what the run published; the validator refuses with a reason. */
export const rollback = defineUpdate<RollbackRecord, [RollbackInput]>('rollback');
/** Fire-and-forget fallback; an invalid one is ignored (status.ignored) and audited. */
export const rollbackSignal = defineSignal<[RollbackInput]>('rollback');

/** A rollback run's state: target, approvers, decision, the version it wrote. */
export const rollbackStatus = defineQuery<CohortRollbackStatus>('rollback-status');
