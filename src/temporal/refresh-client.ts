import crypto from 'node:crypto';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { loadPolicyFile, policyFromDefaults } from '../approval/policy-file';
import type { Config } from '../config';
import { decide, rollback, rollbackStatus, status } from '../workflows/messages';
import type { rollbackCohort } from '../workflows/rollback-cohort';
import type {
  ApprovalDecision,
  ApprovalPolicy,
  Cadence,
  DecisionInput,
  RefreshInput,
  CohortRollbackStatus,
  RefreshStatus,
  RollbackInput,
  RollbackRecord,
  TierScope,
} from '../shared';
import type { refreshCycle } from '../workflows/refresh-cycle';

export interface StartRefresh {
  cadence: Cadence;
  tier: TierScope;
  requestedBy: string;
  rationale: string;
  asOf?: string;
}

/** The approval policy runs start with: the policy file when configured, else the environment's defaults. */
export function policyOf(config: Config, approvers: string[] = config.approval.approvers): ApprovalPolicy {
  const defaults = {
    approvers,
    deadline: config.approval.deadline,
    reminders: config.approval.reminders,
    strategicApprovals: config.approval.strategicApprovals,
  };
  return config.approval.policyFile
    ? loadPolicyFile(config.approval.policyFile, defaults)
    : policyFromDefaults(defaults);
}

/** Starting, reading and deciding refresh runs: what the API, the CLI and schedules share. */
export class RefreshClient {
  constructor(
    readonly client: Client,
    private readonly taskQueue: string,
    private readonly policy: ApprovalPolicy,
    /** Unset: the workflow's default (7d); config ROLLBACK_WATCH_WINDOW. */
    private readonly watchWindow?: RefreshInput['watchWindow'],
  ) {}

  async start(request: StartRefresh): Promise<{ workflowId: string; runId: string }> {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    const workflowId = `refresh-${request.cadence}-${stamp}-${crypto.randomBytes(3).toString('hex')}`;
    const input: RefreshInput = {
      ...request,
      policy: this.policy,
      ...(this.watchWindow ? { watchWindow: this.watchWindow } : {}),
    };
    const handle = await this.client.workflow.start<typeof refreshCycle>('refreshCycle', {
      taskQueue: this.taskQueue,
      workflowId,
      args: [input],
      memo: { requestedBy: request.requestedBy, rationale: request.rationale },
    });
    return { workflowId, runId: handle.firstExecutionRunId };
  }

  handle(workflowId: string): WorkflowHandle<typeof refreshCycle> {
    return this.client.workflow.getHandle<typeof refreshCycle>(workflowId);
  }

  status(workflowId: string): Promise<RefreshStatus> {
    return this.handle(workflowId).query(status);
  }

  /** Sends the decision as an Update; a refusal comes back as DecisionRefused with its reason. */
  async decide(workflowId: string, decision: DecisionInput): Promise<ApprovalDecision> {
    try {
      return await this.handle(workflowId).executeUpdate(decide, { args: [decision] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new DecisionRefused(err.cause?.message ?? err.message);
      throw err;
    }
  }

  /**
   * Rolls back what the run published, during its watch window. A refusal, including a run
   * that has ended, comes back as RollbackRefused with its reason.
   */
  async rollback(workflowId: string, request: RollbackInput): Promise<RollbackRecord> {
    const handle = this.handle(workflowId);
    try {
      return await handle.executeUpdate(rollback, { args: [request] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new RollbackRefused(err.cause?.message ?? err.message);
      const ended = await this.whyEnded(handle);
      if (ended) throw new RollbackRefused(ended);
      throw err;
    }
  }

  /**
   * Starts a rollback run that restores `toVersion` of a cohort once an approver agrees. The id
   * `rollback-<cohort>-to-v<version>-<n>` makes a repeated request while one is running return
   * that one instead of starting a second; after it has ended, the next request gets n + 1.
   */
  async startCohortRollback(request: {
    cohortId: string;
    toVersion: number;
    requestedBy: string;
    reason: string;
  }): Promise<{ workflowId: string; alreadyRunning: boolean }> {
    for (let n = 1; ; n++) {
      const workflowId = `rollback-${request.cohortId}-to-v${request.toVersion}-${n}`;
      try {
        await this.client.workflow.start<typeof rollbackCohort>('rollbackCohort', {
          taskQueue: this.taskQueue,
          workflowId,
          args: [{ ...request, policy: this.policy }],
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          memo: { requestedBy: request.requestedBy, rationale: request.reason },
        });
        return { workflowId, alreadyRunning: false };
      } catch (err) {
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        const existing = await this.client.workflow.getHandle(workflowId).describe();
        if (existing.status.name === 'RUNNING') return { workflowId, alreadyRunning: true };
      }
    }
  }

  cohortRollbackStatus(workflowId: string): Promise<CohortRollbackStatus> {
    return this.client.workflow.getHandle<typeof rollbackCohort>(workflowId).query(rollbackStatus);
  }

  /** Approves or rejects a rollback run; a refusal comes back as DecisionRefused with its reason. */
  async decideCohortRollback(workflowId: string, decision: DecisionInput): Promise<ApprovalDecision> {
    try {
      return await this.client.workflow
        .getHandle<typeof rollbackCohort>(workflowId)
        .executeUpdate(decide, { args: [decision] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new DecisionRefused(err.cause?.message ?? err.message);
      throw err;
    }
  }

  /** Why a run takes no more Updates: its watch window closed, or it ended without one. */
  private async whyEnded(handle: WorkflowHandle<typeof refreshCycle>): Promise<string | undefined> {
    const described = await handle.describe().catch(() => undefined);
    if (!described || described.status.name === 'RUNNING') return undefined;
    const s = await handle.query(status).catch(() => undefined);
    if (s?.watch)
      return `the run's watch window closed at ${s.watch.closesAt}; restore an earlier version with \`cohortflow cohorts rollback <cohort> --to <version>\``;
    return `run ${handle.workflowId} has ended (${s?.outcome ?? described.status.name.toLowerCase()}) with no watch window; restore an earlier version with \`cohortflow cohorts rollback <cohort> --to <version>\``;
  }
}

export class RollbackRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RollbackRefused';
  }
}

export class DecisionRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecisionRefused';
  }
}
