import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { freshDatabase, type TestDatabase } from '../support/db';
import { recordHistory } from '../support/record-history';
import { eventually, startTestSystem, TOKENS } from '../support/system';
import { devServerEnv } from '../support/temporal';
import { replayRun } from '../../src/temporal/replay';
import type { RefreshStatus } from '../../src/shared';

// The two ways a refresh ends at the approval gate without publishing, through the HTTP API on
// PostgreSQL and the Temporal dev server: an approver rejects it, or nobody decides before the
// deadline. Each has its own system, since a second refresh of the same files would stop at the
// data-quality checks (no new rows); the expiring one has a short deadline that passes for real.

/** A system (dev server, fresh database, worker, API) for the tests of one describe block. */
function useSystem(env: Record<string, string> = {}) {
  const sys = {} as {
    temporal: TestWorkflowEnvironment;
    db: TestDatabase;
    h: Awaited<ReturnType<typeof startTestSystem>>;
  };
  beforeAll(async () => {
    sys.temporal = await devServerEnv();
    sys.db = await freshDatabase('e2e_gate');
    sys.h = await startTestSystem({
      temporalAddress: sys.temporal.connection.options.address,
      databaseUrl: sys.db.url,
      env,
    });
  });
  afterAll(async () => {
    await sys.h?.stop();
    await sys.db?.drop();
    await sys.temporal?.teardown();
  });
  const startRefresh = async (rationale: string) => {
    const started = await sys.h.call('POST', '/refreshes', TOKENS.operator, { tier: 'all', rationale });
    expect(started.status).toBe(202);
    return started.body.workflowId as string;
  };
  const statusOf = (id: string) =>
    sys.h.call('GET', `/refreshes/${id}`, TOKENS.viewer).then((r) => r.body as unknown as RefreshStatus);
  const auditedActions = async (id: string) =>
    (
      (await sys.h.call('GET', `/audit?run=${id}`, TOKENS.viewer)).body.entries as Array<{
        action: string;
        actor: string;
      }>
    ).map((e) => `${e.action} ${e.actor}`);
  const deliveredFor = (id: string) => sys.h.receiver.received.filter((d) => d.body.data.runId === id);
  return { sys, startRefresh, statusOf, auditedActions, deliveredFor };
}

describe('a refresh an approver rejects (PostgreSQL server, Temporal dev server)', () => {
  const { sys, startRefresh, statusOf, auditedActions, deliveredFor } = useSystem();

  it('publishes nothing when an approver rejects the run, and records who rejected it and why', async () => {
    const id = await startRefresh('rejection check');
    await eventually(
      () => statusOf(id),
      (s) => s.stage === 'awaiting-approval',
      'the approval gate',
    );
    const rejected = await sys.h.call('POST', `/refreshes/${id}/reject`, TOKENS.approver, {
      comment: 'sizes look off',
    });
    expect(rejected).toMatchObject({ status: 200, body: { kind: 'rejected', by: 'arthur', via: 'update' } });

    const done = await eventually(
      () => statusOf(id),
      (s) => s.stage === 'done',
      'the end of the run',
    );
    expect(done).toMatchObject({
      outcome: 'rejected',
      decision: { kind: 'rejected', by: 'arthur', comment: 'sizes look off' },
    });
    expect(deliveredFor(id)).toEqual([]);
    expect(await auditedActions(id)).toContain('decision.rejected arthur');

    expect(await replayRun(sys.temporal.client, id)).toEqual({ ok: true });
    recordHistory(sys.temporal, id, 'refresh-rejected');
  });
});

describe('a refresh nobody decides (PostgreSQL server, Temporal dev server)', () => {
  const { sys, startRefresh, statusOf, auditedActions, deliveredFor } = useSystem({
    APPROVAL_DEADLINE: '10s',
    APPROVAL_REMINDERS: '4s',
  });

  it('expires a run nobody decides: approvers are reminded, then at the deadline nothing is published', async () => {
    const id = await startRefresh('expiry check');
    const waiting = await eventually(
      () => statusOf(id),
      (s) => s.stage === 'awaiting-approval',
      'the approval gate',
    );
    expect(waiting.approval?.approvers).toEqual(['arthur']);

    const done = await eventually(
      () => statusOf(id),
      (s) => s.stage === 'done',
      'the deadline',
      90_000,
    );
    expect(done).toMatchObject({
      outcome: 'expired',
      decision: { kind: 'expired', by: 'deadline', via: 'deadline', comment: 'no decision within 10s' },
      approval: { remindersSent: 1 },
      failure: expect.stringMatching(
        /^the approval deadline \(10s\) passed with .+ still waiting; nothing was published$/,
      ),
    });
    expect(deliveredFor(id)).toEqual([]);
    expect(await auditedActions(id)).toEqual(
      expect.arrayContaining([
        'approval.requested cohortflow',
        'approval.reminded cohortflow',
        'decision.expired cohortflow',
      ]),
    );

    expect(await replayRun(sys.temporal.client, id)).toEqual({ ok: true });
    recordHistory(sys.temporal, id, 'refresh-expired');
  });
});
