import { randomUUID } from 'node:crypto';
import { Worker } from '@temporalio/worker';
import { DecisionRefused, RefreshClient } from '../../src/temporal/refresh-client';
import type { ApprovalPolicy } from '../../src/shared';
import {
  APPROVER,
  REQUESTER,
  TEST_SIGNER,
  fakeActivities,
  type Fakes,
  useTimeSkippingServer,
} from '../support/workflow-harness';
import { workflowBundle } from '../support/temporal';

// A rollback after the watch window is its own run: it checks the version, waits for one approver
// of the cohort's tier other than the requester, then restores that version and delivers the diff.

const server = useTimeSkippingServer();
const policy: ApprovalPolicy = { approvers: [APPROVER, REQUESTER], deadline: '72h' };
const request = { cohortId: 'lapsed-buyers', toVersion: 2, requestedBy: REQUESTER, reason: 'v3 dropped active buyers' };

/** Runs `scenario` with a worker serving rollback runs and a client starting them as the API does. */
async function withRollbacks<T>(fakes: Fakes, scenario: (client: RefreshClient) => Promise<T>): Promise<T> {
  const taskQueue = `rollback-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: server().nativeConnection,
    taskQueue,
    workflowBundle: await workflowBundle(),
    activities: fakes.activities,
  });
  fakes.configured.policy = policy;
  return worker.runUntil(() => scenario(new RefreshClient(server().client, taskQueue, TEST_SIGNER)));
}

/**
 * The rollback at its gate with the approvers told: the stage is announced before the notice
 * activity has run, so a test that checks the notice waits for both, not for the stage alone.
 */
const awaitingApproval = async (client: RefreshClient, id: string, fakes: Fakes) => {
  const notified = () => fakes.calls.notifyApprovers.some((n) => n.runId === id && n.event === 'opened');
  for (let i = 0; i < 200; i++) {
    const s = await client.cohortRollbackStatus(id).catch(() => undefined);
    if (s?.stage === 'awaiting-approval' && notified()) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `the rollback never reached its approval with the approvers notified (${notified() ? 'notified' : 'no notice'})`,
  );
};

describe('rollback run', () => {
  it('waits for another approver of the tier (four eyes), then restores the version and delivers the diff', async () => {
    const fakes = fakeActivities();
    const cohort = `lapsed-buyers-${randomUUID().slice(0, 8)}`; // ids are per cohort and version: one per test
    await withRollbacks(fakes, async (client) => {
      const { workflowId } = await client.startCohortRollback({ ...request, cohortId: cohort });
      expect(workflowId).toBe(`rollback-${cohort}-to-v2-1`);
      expect(await client.startCohortRollback({ ...request, cohortId: cohort })).toEqual({
        workflowId,
        alreadyRunning: true,
      });

      const waiting = await awaitingApproval(client, workflowId, fakes);
      expect(waiting).toMatchObject({ tier: 'strategic', approvers: [APPROVER] });
      expect(fakes.calls.notifyApprovers).toEqual([
        expect.objectContaining({
          runId: workflowId,
          event: 'opened',
          approvers: [APPROVER],
          waiting: [{ cohortId: cohort, tier: 'strategic', reason: 'rollback to version 2', approvalsNeeded: 1 }],
        }),
      ]);
      expect(fakes.calls.restoreVersion).toHaveLength(0);
      await expect(
        client.decideCohortRollback(workflowId, { approver: REQUESTER, decision: 'approve' }),
      ).rejects.toThrow(new DecisionRefused(`${REQUESTER} requested this rollback and cannot decide it (four eyes)`));
      await expect(
        client.decideCohortRollback(workflowId, { approver: 'mallory', decision: 'approve' }),
      ).rejects.toThrow(/mallory may not decide a rollback/);

      await client.decideCohortRollback(workflowId, { approver: APPROVER, decision: 'approve', comment: 'agreed' });
      const done = await server().client.workflow.getHandle(workflowId).result();
      expect(done).toMatchObject({
        outcome: 'restored',
        decision: { kind: 'approved', by: APPROVER },
        restored: { cohortId: cohort, restoresVersion: 2 },
      });
      expect(fakes.calls.restoreVersion).toEqual([
        {
          rollbackId: workflowId,
          auditRunId: workflowId,
          cohortId: cohort,
          toVersion: 2,
          requestedBy: REQUESTER,
          approvedBy: APPROVER,
          reason: request.reason,
        },
      ]);
      expect(fakes.calls.deliverCohort).toEqual([{ runId: workflowId, cohortId: cohort }]);
      expect(fakes.audited()).toEqual(['rollback.requested', 'decision.approved']);

      // The next request for the same version is a new run: the first one has ended.
      const again = await client.startCohortRollback({ ...request, cohortId: cohort });
      expect(again.workflowId).toBe(`rollback-${cohort}-to-v2-2`);
      await awaitingApproval(client, again.workflowId, fakes); // ended by a decision, not mid-activity (see waitingOnTimer)
      await client.decideCohortRollback(again.workflowId, { approver: APPROVER, decision: 'reject' });
    });
  });

  it('restores nothing when rejected', async () => {
    const fakes = fakeActivities();
    await withRollbacks(fakes, async (client) => {
      const { workflowId } = await client.startCohortRollback({
        ...request,
        cohortId: `c-${randomUUID().slice(0, 8)}`,
      });
      await awaitingApproval(client, workflowId, fakes);
      await client.decideCohortRollback(workflowId, { approver: APPROVER, decision: 'reject', comment: 'v3 is right' });
      expect(await server().client.workflow.getHandle(workflowId).result()).toMatchObject({ outcome: 'rejected' });
    });
    expect(fakes.calls.restoreVersion).toHaveLength(0);
    expect(fakes.calls.deliverCohort).toHaveLength(0);
  });

  it('refuses a version the cohort never published, before asking anyone', async () => {
    const fakes = fakeActivities();
    const outcome = await withRollbacks(fakes, async (client) => {
      const { workflowId } = await client.startCohortRollback({
        ...request,
        cohortId: `c-${randomUUID().slice(0, 8)}`,
        toVersion: 7,
      });
      return server().client.workflow.getHandle(workflowId).result();
    });
    expect(outcome).toMatchObject({
      outcome: 'invalid',
      failure: expect.stringMatching(/has no published version 7 \(its versions: 1, 2, 3\); nothing restored$/),
    });
    expect(fakes.calls.audit).toHaveLength(0);
    expect(fakes.calls.restoreVersion).toHaveLength(0);
  });
});
