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
import type { SigningKey } from '../governance/proof-keys';
import {
  rollbackCandidates,
  signedDecision,
  signedRefreshStart,
  signedRollback,
  signedRollbackDecision,
  signedRollbackStart,
  waitingCohorts,
  type Signed,
} from './signed-messages';
import { pendingActivitiesOf, runProgress } from './run-progress';

export interface StartRefresh {
  cadence: Cadence;
  tier: TierScope;
  requestedBy: string;
  rationale: string;
  asOf?: string;
  /** Wait for the tier's active refresh instead of stopping (the run's stage is `queued` meanwhile). */
  queue?: boolean;
}

/** A decision as the API receives it: who (from the bearer token), what, on which cohorts. */
export type DecisionRequest = Omit<DecisionInput, 'proof'>;

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

/**
 * Starting, reading and deciding refresh runs: what the API and the CLI share. Every message that
 * changes what is published is signed here, for the authenticated user the caller names.
 */
export class RefreshClient {
  constructor(
    readonly client: Client,
    readonly taskQueue: string,
    /** Signs proofs of starts and decisions; held by the API process only. */
    private readonly signer: SigningKey,
    /** Unset: the workflow's default (7d); config ROLLBACK_WATCH_WINDOW. */
    private readonly watchWindow?: RefreshInput['watchWindow'],
  ) {}

  /** A new refresh's workflow id: `refresh-<cadence>-<time>-<hex>`. */
  newRunId(cadence: Cadence): string {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
    return `refresh-${cadence}-${stamp}-${crypto.randomBytes(3).toString('hex')}`;
  }

  async start(
    request: StartRefresh,
    workflowId = this.newRunId(request.cadence),
  ): Promise<{ workflowId: string; runId: string }> {
    const input = signedRefreshStart(this.signer, workflowId, {
      ...request,
      ...(this.watchWindow ? { watchWindow: this.watchWindow } : {}),
    });
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

  /**
   * The workflow's status, its progress completed with what Temporal knows of the activities
   * the stage waits on (their heartbeats, attempts and failures) and an estimate of time left.
   */
  async status(workflowId: string): Promise<RefreshStatus> {
    const handle = this.handle(workflowId);
    const [current, described] = await Promise.all([handle.query(status), handle.describe()]);
    if (!current.progress) return current;
    const converter = this.client.options.loadedDataConverter.payloadConverter;
    const pending = pendingActivitiesOf(described.raw.pendingActivities, converter);
    return { ...current, progress: runProgress(current.progress, pending, new Date()) };
  }

  /** Whether the workflow is still running (not found: no). */
  async isRunOpen(workflowId: string): Promise<boolean> {
    const described = await this.client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    return described?.status.name === 'RUNNING';
  }

  /** The decision with its proof; a decision naming no cohorts is bound to those waiting now. */
  async signedDecision(workflowId: string, request: DecisionRequest): Promise<Signed<DecisionInput>> {
    const waiting = request.cohorts?.length ? [] : waitingCohorts(await this.status(workflowId));
    return signedDecision(this.signer, workflowId, waiting, request);
  }

  async signedRollback(workflowId: string, request: Omit<RollbackInput, 'proof'>): Promise<Signed<RollbackInput>> {
    const candidates = request.cohorts?.length ? [] : rollbackCandidates(await this.status(workflowId));
    return signedRollback(this.signer, workflowId, candidates, request);
  }

  async signedRollbackDecision(workflowId: string, request: DecisionRequest): Promise<Signed<DecisionInput>> {
    const { cohortId } = await this.cohortRollbackStatus(workflowId);
    return signedRollbackDecision(this.signer, workflowId, cohortId, request);
  }

  /** Sends the decision as an Update; a refusal comes back as DecisionRefused with its reason. */
  async decide(workflowId: string, request: DecisionRequest): Promise<ApprovalDecision> {
    const { message } = await this.signedDecision(workflowId, request);
    try {
      return await this.handle(workflowId).executeUpdate(decide, { args: [message] });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new DecisionRefused(err.cause?.message ?? err.message);
      throw err;
    }
  }

  /**
   * Rolls back what the run published, during its watch window. A refusal, including a run
   * that has ended, comes back as RollbackRefused with its reason.
   */
  async rollback(workflowId: string, request: Omit<RollbackInput, 'proof'>): Promise<RollbackRecord> {
    const handle = this.handle(workflowId);
    try {
      const { message } = await this.signedRollback(workflowId, request);
      return await handle.executeUpdate(rollback, { args: [message] });
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
          args: [signedRollbackStart(this.signer, workflowId, request)],
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
  async decideCohortRollback(workflowId: string, request: DecisionRequest): Promise<ApprovalDecision> {
    const { message } = await this.signedRollbackDecision(workflowId, request);
    try {
      return await this.client.workflow
        .getHandle<typeof rollbackCohort>(workflowId)
        .executeUpdate(decide, { args: [message] });
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
