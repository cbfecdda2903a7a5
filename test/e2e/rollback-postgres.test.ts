import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { freshDatabase, type TestDatabase } from '../support/db';
import { eventually, startTestSystem, TOKENS } from '../support/system';
import { devServerEnv } from '../support/temporal';
import { recordHistory } from '../support/record-history';
import { replayRun } from '../../src/temporal/replay';
import type { CohortRollbackStatus, RefreshStatus, RollbackRecord } from '../../src/shared';

// Rollback through the HTTP API on PostgreSQL and the Temporal dev server: a first publish rolled
// back inside the watch window withdraws the cohorts (every member delivered as a remove), and a
// rollback run after it, approved by a second person, restores the published version again.

describe('rollback through the HTTP API (PostgreSQL server, Temporal dev server)', () => {
  let env: TestWorkflowEnvironment;
  let db: TestDatabase;
  let h: Awaited<ReturnType<typeof startTestSystem>>;

  beforeAll(async () => {
    env = await devServerEnv();
    db = await freshDatabase('e2e_rollback');
    h = await startTestSystem({
      temporalAddress: env.connection.options.address,
      databaseUrl: db.url,
      watchWindow: '1h',
    });
  });

  afterAll(async () => {
    await h?.stop();
    await db?.drop();
    await env?.teardown();
  });

  it('withdraws a first publish inside the window, then restores it with an approved rollback run', async () => {
    const started = await h.call('POST', '/refreshes', TOKENS.operator, {
      tier: 'tactical',
      rationale: 'rollback check',
    });
    const id = started.body.workflowId as string;
    const statusOf = () =>
      h.call('GET', `/refreshes/${id}`, TOKENS.viewer).then((r) => r.body as unknown as RefreshStatus);
    const gated = await eventually(
      statusOf,
      (s) => s.stage === 'awaiting-approval' || s.stage === 'watching',
      'the gate or the watch window',
    );
    if (gated.stage === 'awaiting-approval')
      await h.call('POST', `/refreshes/${id}/approve`, TOKENS.approver, { comment: 'fine' });
    const watching = await eventually(statusOf, (s) => s.stage === 'watching', 'the watch window');
    expect(watching.outcome).toBe('published');
    const cohort = watching.cohorts.find((c) => c.size > 0)!;

    expect((await h.call('POST', `/refreshes/${id}/rollback`, TOKENS.viewer, { reason: 'x' })).status).toBe(403);
    const rolled = await h.call('POST', `/refreshes/${id}/rollback`, TOKENS.approver, {
      reason: 'wrong source data',
      cohorts: [cohort.cohortId],
    });
    expect(rolled.status).toBe(200);
    const record = rolled.body as unknown as RollbackRecord;
    expect(record).toMatchObject({
      rollbackId: `${id}:rollback:1`,
      by: 'arthur',
      versions: [
        { cohortId: cohort.cohortId, version: 2, restoresVersion: null, snapshotId: null, alreadyRestored: false },
      ],
    });
    const withdrawn = h.receiver.received.filter((d) => d.body.data.runId === record.rollbackId);
    expect(
      withdrawn.map((d) => [d.verified, d.body.data.version, d.body.data.adds.length, d.body.data.removes.length]),
    ).toEqual([[true, 2, 0, cohort.size]]);
    // The destination's state: it acknowledged the withdrawal, and its cursor is at version 2.
    const destinationState = async (runId: string) =>
      (await h.call('GET', `/runs/${encodeURIComponent(runId)}/deliveries`, TOKENS.viewer)).body.deliveries as Array<
        Record<string, unknown>
      >;
    expect(await destinationState(record.rollbackId)).toEqual([
      expect.objectContaining({
        cohortId: cohort.cohortId,
        version: 2,
        status: 'acknowledged',
        fromVersion: 1,
        adds: 0,
        removes: cohort.size,
        cursor: expect.objectContaining({ version: 2 }),
      }),
    ]);
    const again = await h.call('POST', `/refreshes/${id}/rollback`, TOKENS.approver, {
      reason: 'again',
      cohorts: [cohort.cohortId],
    });
    expect(again).toMatchObject({
      status: 409,
      body: { error: 'rollback_refused', message: expect.stringMatching(/^already rolled back: /) },
    });

    const requested = await h.call('POST', `/cohorts/${cohort.cohortId}/rollback`, TOKENS.operator, {
      toVersion: 1,
      reason: 'the source data was right after all',
    });
    expect(requested.status).toBe(202);
    const rollbackId = requested.body.workflowId as string;
    expect(rollbackId).toBe(`rollback-${cohort.cohortId}-to-v1-1`);
    const rollbackOf = () =>
      h.call('GET', `/rollbacks/${rollbackId}`, TOKENS.viewer).then((r) => r.body as unknown as CohortRollbackStatus);
    await eventually(rollbackOf, (s) => s.stage === 'awaiting-approval', 'the rollback approval');
    expect((await h.call('POST', `/rollbacks/${rollbackId}/approve`, TOKENS.approver, {})).status).toBe(200);
    const restored = await eventually(rollbackOf, (s) => s.outcome !== undefined, 'the restore');
    expect(restored).toMatchObject({
      outcome: 'restored',
      restored: { version: 3, restoresVersion: 1, snapshotId: cohort.snapshotId },
    });
    const redelivered = h.receiver.received.filter((d) => d.body.data.runId === rollbackId);
    expect(redelivered.map((d) => [d.body.data.version, d.body.data.adds.length, d.body.data.removes.length])).toEqual([
      [3, cohort.size, 0],
    ]);
    expect(await destinationState(rollbackId)).toEqual([
      expect.objectContaining({
        cohortId: cohort.cohortId,
        version: 3,
        status: 'acknowledged',
        fromVersion: 2,
        adds: cohort.size,
        removes: 0,
        cursor: expect.objectContaining({ version: 3 }),
      }),
    ]);

    const history = await h.call('GET', `/cohorts/${cohort.cohortId}/history`, TOKENS.viewer);
    expect(
      (history.body.versions as Array<Record<string, unknown>>).map((v) => [
        v.version,
        v.snapshotId,
        v.size,
        v.rollback,
      ]),
    ).toEqual([
      [3, cohort.snapshotId, cohort.size, { restoresVersion: 1, reason: 'the source data was right after all' }],
      [2, null, 0, { restoresVersion: null, reason: 'wrong source data' }],
      [1, cohort.snapshotId, cohort.size, undefined],
    ]);
    expect((await h.call('GET', '/audit/verify', TOKENS.viewer)).body).toMatchObject({ ok: true });

    // Both replay against the current code: the refresh run up to its rollback, and the rollback run.
    expect(await replayRun(env.client, id)).toEqual({ ok: true });
    expect(await replayRun(env.client, rollbackId)).toEqual({ ok: true });
    recordHistory(env, id, 'refresh-rolled-back-in-window');
    recordHistory(env, rollbackId, 'rollback-run-restored');
  });
});
