import { WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { RefreshClient, RollbackRefused } from '../../src/temporal/refresh-client';
import { rollback, rollbackSignal, status } from '../../src/workflows/messages';
import type { RollbackInput } from '../../src/shared';
import {
  APPROVER,
  REQUESTER,
  TEST_SIGNER,
  awaitingApproval,
  fakeActivities,
  gate,
  refreshInput,
  statusWhen,
  terminateWhenIdle,
  useTimeSkippingServer,
  withRefresh,
  type RefreshHandle,
  rollBackAs,
  provenRollback,
} from '../support/workflow-harness';

// After publish a refresh run stays open for its watch window; a rollback restores what the run
// replaced as new published versions and delivers the compensating diffs.

const server = useTimeSkippingServer();
const watching = (run: RefreshHandle) => statusWhen(run, (s) => s.stage === 'watching', 'the watch window');
const REASON = 'churn spike after publish';

async function refusedRollback(run: RefreshHandle, request: Partial<RollbackInput>): Promise<string> {
  const err = await rollBackAs(run, { requestedBy: APPROVER, reason: REASON, ...request }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return String((err as WorkflowUpdateFailedError).cause?.message);
}

describe('watch window', () => {
  it('shows the run as published while it watches, and rolls back by Update: restores, then delivers the compensating diffs', async () => {
    const fakes = fakeActivities();
    const outcome = await withRefresh(refreshInput('tactical'), fakes, async (run) => {
      const during = await watching(run);
      expect(during).toMatchObject({ outcome: 'published', watch: { window: '7d' } });
      expect(fakes.calls.recordOutcome).toEqual([{ runId: run.workflowId, outcome: 'published' }]);

      const rolled = await rollBackAs(run, { requestedBy: APPROVER, reason: REASON });
      const rollbackId = `${run.workflowId}:rollback:1`;
      expect(rolled).toMatchObject({
        rollbackId,
        by: APPROVER,
        reason: REASON,
        via: 'update',
        cohorts: ['lapsed-buyers'],
      });
      expect(fakes.calls.restorePrevious).toEqual([
        { runId: run.workflowId, rollbackId, cohorts: ['lapsed-buyers'], requestedBy: APPROVER, reason: REASON },
      ]);
      expect(fakes.calls.deliverCohort).toEqual([
        { runId: run.workflowId, cohortId: 'lapsed-buyers' },
        { runId: rollbackId, cohortId: 'lapsed-buyers' },
      ]);
      expect((await run.query(status)).rollbacks).toEqual([rolled]);
      return run.result(); // the server skips the rest of the seven days
    });
    expect(outcome).toMatchObject({
      outcome: 'published',
      rolledBack: [{ rollbackId: `${outcome.runId}:rollback:1`, by: APPROVER, cohorts: ['lapsed-buyers'] }],
    });
    expect(fakes.calls.recordOutcome).toHaveLength(1);
  });

  it('refuses a rollback by someone who may not approve the tier, of a cohort the run did not publish, and a second one of the same cohort', async () => {
    const fakes = fakeActivities();
    await withRefresh(refreshInput('tactical'), fakes, async (run) => {
      await watching(run);
      expect(await refusedRollback(run, { requestedBy: 'mallory' })).toBe(
        'mallory may not roll back tactical cohorts (rollback needs an approver of the tier — tactical: alex, rita)',
      );
      expect(await refusedRollback(run, { cohorts: ['power-users'] })).toBe(
        `not published by run ${run.workflowId}: power-users (it published: lapsed-buyers)`,
      );
      expect(await refusedRollback(run, { reason: ' ' })).toBe('a rollback needs a reason');
      expect(fakes.calls.restorePrevious).toHaveLength(0);

      await rollBackAs(run, { requestedBy: APPROVER, reason: REASON });
      expect(await refusedRollback(run, { cohorts: ['lapsed-buyers'] })).toMatch(
        new RegExp(
          `^already rolled back: lapsed-buyers by alex at .* \\(${run.workflowId}:rollback:1\\); nothing changed$`,
        ),
      );
      expect(fakes.calls.restorePrevious).toHaveLength(1);
      return run.result();
    });
  });

  it('takes two queued rollbacks of the same cohort one at a time: the second sees the first and is refused', async () => {
    // Both requests for power-users wait while a rollback of lapsed-buyers is still delivering.
    const restoring = gate();
    const fakes = fakeActivities({
      overrides: (plain) => ({
        planCompute: async (input) => [
          ...(await plain.planCompute(input)),
          { cohortId: 'power-users', definitionVersion: 1, dependsOn: [] },
        ],
        computeCohort: async (input) => ({ ...(await plain.computeCohort(input)), tier: 'tactical' }),
        restorePrevious: async (input) => {
          if (input.cohorts.includes('lapsed-buyers')) await restoring.opened;
          return plain.restorePrevious(input);
        },
      }),
    });
    await withRefresh(refreshInput('tactical'), fakes, async (run) => {
      await watching(run);
      const request = async (cohort: string, requestedBy: string) => ({
        args: [await provenRollback(run, { requestedBy, reason: REASON, cohorts: [cohort] })] as [RollbackInput],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      const first = await run.startUpdate(rollback, await request('lapsed-buyers', APPROVER));
      await statusWhen(run, () => fakes.calls.restorePrevious.length === 1, 'the first rollback in flight');
      const second = await run.startUpdate(rollback, await request('power-users', APPROVER));
      const third = await run.startUpdate(rollback, await request('power-users', REQUESTER));
      restoring.open();

      expect(await first.result()).toMatchObject({ cohorts: ['lapsed-buyers'] });
      expect(await second.result()).toMatchObject({
        rollbackId: `${run.workflowId}:rollback:2`,
        cohorts: ['power-users'],
      });
      const refused = await third.result().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String((refused as WorkflowUpdateFailedError).cause?.message)).toMatch(
        new RegExp(
          `^already rolled back: power-users by alex at .* \\(${run.workflowId}:rollback:2\\); nothing changed$`,
        ),
      );
      expect(fakes.calls.restorePrevious.map((r) => r.cohorts)).toEqual([['lapsed-buyers'], ['power-users']]);
      expect((await run.query(status)).rollbacks?.map((r) => r.rollbackId)).toEqual([
        `${run.workflowId}:rollback:1`,
        `${run.workflowId}:rollback:2`,
      ]);
      return run.result();
    });
  });

  it('refuses a rollback before anything is published', async () => {
    const fakes = fakeActivities();
    await withRefresh(refreshInput('strategic'), fakes, async (run) => {
      await awaitingApproval(run);
      expect(await refusedRollback(run, {})).toBe(`run ${run.workflowId} has published nothing to roll back`);
      await terminateWhenIdle(run);
    });
    expect(fakes.calls.restorePrevious).toHaveLength(0);
  });

  it('ignores and audits an invalid rollback signal, and acts on a valid one', async () => {
    const fakes = fakeActivities();
    await withRefresh(refreshInput('tactical'), fakes, async (run) => {
      await watching(run);
      await run.signal(rollbackSignal, await provenRollback(run, { requestedBy: 'mallory', reason: REASON }));
      const ignored = await statusWhen(run, (s) => s.ignored.length > 0, 'the ignored signal');
      expect(ignored.ignored).toEqual([
        expect.objectContaining({
          name: 'rollback',
          from: 'mallory',
          reason: expect.stringMatching(/^mallory may not roll back/),
        }),
      ]);
      expect(fakes.calls.audit).toContainEqual(
        expect.objectContaining({ actor: 'mallory', action: 'rollback.ignored' }),
      );

      await run.signal(rollbackSignal, await provenRollback(run, { requestedBy: APPROVER, reason: REASON }));
      const rolled = await statusWhen(run, (s) => (s.rollbacks ?? []).length > 0, 'the signalled rollback');
      expect(rolled.rollbacks).toEqual([
        expect.objectContaining({ by: APPROVER, via: 'signal', cohorts: ['lapsed-buyers'] }),
      ]);
      return run.result();
    });
    expect(fakes.calls.restorePrevious).toHaveLength(1);
  });

  it('ends after the window with outcome published; a rollback then is refused with when the window closed', async () => {
    const fakes = fakeActivities();
    const refreshes = new RefreshClient(server().client, 'unused', TEST_SIGNER);
    await withRefresh(refreshInput('tactical'), fakes, async (run) => {
      const { watch } = await watching(run);
      const outcome = await run.result();
      expect(outcome).toMatchObject({ outcome: 'published' });
      expect(outcome.rolledBack).toBeUndefined();
      expect(await run.query(status)).toMatchObject({ stage: 'done', outcome: 'published', watch: { closed: true } });
      const err = await refreshes.rollback(run.workflowId, { requestedBy: APPROVER, reason: REASON }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(RollbackRefused);
      expect((err as Error).message).toMatch(`the run's watch window closed at ${watch!.closesAt}`);
    });
    expect(fakes.calls.restorePrevious).toHaveLength(0);
  });

  it('ends right after publish when the window is 0s', async () => {
    const fakes = fakeActivities();
    const outcome = await withRefresh(refreshInput('tactical', { watchWindow: '0s' }), fakes, (run) => run.result());
    expect(outcome).toMatchObject({ outcome: 'published' });
    expect(fakes.calls.deliverCohort).toHaveLength(1);
  });
});
