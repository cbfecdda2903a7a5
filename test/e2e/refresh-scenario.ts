import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { devServerEnv } from '../support/temporal';
import { eventually, startTestSystem, TOKENS } from '../support/system';
import { recordHistory } from '../support/record-history';
import { replayRun } from '../../src/temporal/replay';
import type { RefreshStatus } from '../../src/shared';

type Harness = Awaited<ReturnType<typeof startTestSystem>>;

/**
 * A refresh started through the HTTP API, approved through the API by a second person, and
 * delivered to a webhook receiver: once per cohort, each signature checked independently.
 * Shared by the Postgres-server and embedded-PostgreSQL suites.
 */
export function describeRefreshThroughApi(
  mode: string,
  database: () => Promise<{ url?: string; drop(): Promise<void> }>,
  options: { asChildProcess?: boolean; recordAs?: string } = {},
): void {
  describe(`refresh through the HTTP API (${mode})`, () => {
    let env: TestWorkflowEnvironment;
    let db: { url?: string; drop(): Promise<void> };
    let h: Harness;

    beforeAll(async () => {
      env = await devServerEnv();
      db = await database();
      h = await startTestSystem({
        temporalAddress: env.connection.options.address,
        databaseUrl: db.url,
        asChildProcess: options.asChildProcess,
      });
    });

    afterAll(async () => {
      await h?.stop();
      await db?.drop();
      await env?.teardown();
    });

    const statusOf = (id: string) =>
      h.call('GET', `/refreshes/${id}`, TOKENS.viewer).then((r) => r.body as unknown as RefreshStatus);

    it('publishes every cohort once, correctly signed, after a second person approves', async () => {
      const started = await h.call('POST', '/refreshes', TOKENS.operator, {
        tier: 'all',
        rationale: 'end-to-end check',
      });
      expect(started.status).toBe(202);
      const id = started.body.workflowId as string;

      const waiting = await eventually(
        () => statusOf(id),
        (s) => s.stage === 'awaiting-approval',
        'the approval gate',
      );
      expect(waiting.requestedBy).toBe('olivia');
      expect(waiting.ingest?.quarantined).toBeGreaterThan(0);
      expect(waiting.cohorts.length).toBeGreaterThanOrEqual(5);

      const approved = await h.call('POST', `/refreshes/${id}/approve`, TOKENS.approver, {
        comment: 'sizes look right',
      });
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ kind: 'approved', by: 'arthur', via: 'update' });

      const done = await eventually(
        () => statusOf(id),
        (s) => s.stage === 'done',
        'the publish',
      );
      expect(done.outcome).toBe('published');
      const deliveries = h.receiver.received.filter((d) => d.body.data.runId === id);
      // A first version with no members changes nothing for the webhook, so it is sent nothing.
      const nonEmpty = waiting.cohorts.filter((c) => c.size > 0).map((c) => c.cohortId);
      expect(nonEmpty.length).toBeGreaterThanOrEqual(5);
      expect(deliveries.map((d) => d.body.data.cohortId).sort()).toEqual(nonEmpty.sort());
      expect(deliveries.every((d) => d.verified)).toBe(true);
      for (const d of deliveries) {
        const cohort = waiting.cohorts.find((c) => c.cohortId === d.body.data.cohortId)!;
        expect(d.body.data.adds).toHaveLength(cohort.size);
      }

      // The governance trail: its chain verifies, and the cohort's history shows who approved it.
      expect((await h.call('GET', '/audit/verify', TOKENS.viewer)).body).toMatchObject({ ok: true });
      const decided = waiting.approval!.cohorts.find((c) => c.state === 'waiting')!;
      const history = await h.call('GET', `/cohorts/${decided.cohortId}/history`, TOKENS.viewer);
      expect((history.body.versions as unknown[])[0]).toMatchObject({
        runId: id,
        approvedBy: 'arthur',
        approvals: [
          expect.objectContaining({ actor: 'arthur', action: 'decision.approved', comment: 'sizes look right' }),
        ],
      });

      // The finished run replays against the current code, as `cohortflow replay` does.
      expect(await replayRun(env.client, id)).toEqual({ ok: true });
      if (options.recordAs) recordHistory(env, id, options.recordAs);
    });

    it('refuses requests without a token (401) and callers without the role (403)', async () => {
      expect((await h.call('POST', '/refreshes', undefined, { rationale: 'no token' })).status).toBe(401);
      expect((await h.call('POST', '/refreshes', 'not-a-real-token-at-all', { rationale: 'bad token' })).status).toBe(
        401,
      );
      const forbidden = await h.call('POST', '/refreshes', TOKENS.viewer, { rationale: 'viewer tries' });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body.message).toMatch(/vera lacks the operator role/);
    });

    it('rejects a bad request body with the field that is wrong', async () => {
      const bad = await h.call('POST', '/refreshes', TOKENS.operator, { tier: 'gold', rationale: 'x' });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.issues)).toMatch(/tier/);
    });
  });
}
