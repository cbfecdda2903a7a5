import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { approveSignal, status } from '../../src/workflows/messages';
import {
  APPROVER,
  REQUESTER,
  awaitingApproval,
  fakeActivities,
  gate,
  refreshInput,
  refusedUpdate,
  statusWhen,
  terminateWhenIdle,
  useTimeSkippingServer,
  waitingOnTimer,
  withRefresh,
  decideAs,
  proven,
} from '../support/workflow-harness';

useTimeSkippingServer();

describe('refresh cycle', () => {
  it('waits for approval of a strategic cohort and publishes once another approver approves', async () => {
    const fakes = fakeActivities();
    const outcome = await withRefresh(refreshInput('strategic'), fakes, async (run) => {
      const waiting = await awaitingApproval(run);
      expect(waiting.pendingApproval).toMatchObject({
        approvers: [APPROVER],
        reason: 'lapsed-buyers: strategic cohort',
      });
      const decision = await decideAs(run, { approver: APPROVER, decision: 'approve', comment: 'looks right' });
      expect(decision).toMatchObject({ kind: 'approved', by: APPROVER, via: 'update' });
      return run.result();
    });
    expect(outcome).toMatchObject({
      outcome: 'published',
      decision: { kind: 'approved', by: APPROVER, comment: 'looks right' },
    });
    expect(outcome.published).toEqual([{ cohortId: 'lapsed-buyers', snapshotId: 'snap-lapsed-buyers', version: 1 }]);
    expect(fakes.calls.publishSnapshots).toEqual([expect.objectContaining({ approvedBy: APPROVER })]);
    expect(fakes.calls.deliverCohort).toHaveLength(1);
    expect(fakes.audited()).toContain('decision.approved');
    expect(fakes.calls.recordOutcome).toEqual([expect.objectContaining({ outcome: 'published' })]);
  });

  it('publishes nothing when an approver rejects the run', async () => {
    const fakes = fakeActivities();
    const outcome = await withRefresh(refreshInput('strategic'), fakes, async (run) => {
      await awaitingApproval(run);
      await decideAs(run, { approver: APPROVER, decision: 'reject', comment: 'sizes look off' });
      return run.result();
    });
    expect(outcome).toMatchObject({
      outcome: 'rejected',
      decision: { kind: 'rejected', by: APPROVER },
      published: [],
      deliveries: [],
    });
    expect(fakes.calls.publishSnapshots).toHaveLength(0);
    expect(fakes.calls.deliverCohort).toHaveLength(0);
    expect(fakes.audited()).toContain('decision.rejected');
  });

  it('refuses self-approval by the requester (four eyes) and keeps waiting', async () => {
    await withRefresh(refreshInput('strategic'), fakeActivities(), async (run) => {
      await awaitingApproval(run);
      expect(await refusedUpdate(run, REQUESTER)).toMatch(/four eyes/);
      const after = await run.query(status);
      expect(after.stage).toBe('awaiting-approval');
      expect(after.decision).toBeUndefined();
      await terminateWhenIdle(run);
    });
  });

  it('refuses approval by someone who is not among the policy approvers', async () => {
    await withRefresh(refreshInput('strategic'), fakeActivities(), async (run) => {
      await awaitingApproval(run);
      expect(await refusedUpdate(run, 'mallory')).toMatch(
        /mallory may not decide lapsed-buyers \(strategic approvers — strategic: alex, rita\)/,
      );
      expect((await run.query(status)).stage).toBe('awaiting-approval');
      await terminateWhenIdle(run);
    });
  });

  it('expires the run after the deadline and publishes nothing', async () => {
    const fakes = fakeActivities();
    const outcome = await withRefresh(
      refreshInput('strategic', { policy: { approvers: [APPROVER], deadline: '72h' } }),
      fakes,
      async (run) => {
        await awaitingApproval(run);
        await waitingOnTimer(run);
        return run.result(); // the test server skips the 72 hours while the run is blocked
      },
    );
    expect(outcome).toMatchObject({
      outcome: 'expired',
      decision: { kind: 'expired', via: 'deadline' },
      published: [],
    });
    expect(fakes.calls.publishSnapshots).toHaveLength(0);
    expect(fakes.calls.deliverCohort).toHaveLength(0);
    expect(fakes.audited()).toContain('decision.expired');
  });

  it('retries a transient activity failure and completes the run', async () => {
    let attempts = 0;
    const fakes = fakeActivities({
      overrides: (plain) => ({
        computeCohort: async (input) => {
          if (++attempts === 1) throw new Error('connection reset by Postgres');
          return plain.computeCohort(input);
        },
      }),
    });
    const outcome = await withRefresh(refreshInput('tactical'), fakes, (run) => run.result());
    expect(fakes.calls.computeCohort).toHaveLength(2);
    expect(outcome.outcome).toBe('published');
  });

  it('ignores and records an invalid approve signal, then publishes on a valid one', async () => {
    const fakes = fakeActivities();
    const outcome = await withRefresh(refreshInput('strategic'), fakes, async (run) => {
      await awaitingApproval(run);
      await run.signal(approveSignal, await proven(run, { approver: REQUESTER, decision: 'approve' }));
      const after = await statusWhen(run, (s) => s.ignored.length > 0, 'an ignored signal');
      expect(after.ignored).toEqual([
        expect.objectContaining({ name: 'approve', from: REQUESTER, reason: expect.stringMatching(/four eyes/) }),
      ]);
      expect(after.stage).toBe('awaiting-approval');
      expect(after.decision).toBeUndefined();
      await statusWhen(run, () => fakes.audited().includes('decision.ignored'), 'audit of the ignored signal');
      await run.signal(approveSignal, await proven(run, { approver: APPROVER, decision: 'approve' }));
      return run.result();
    });
    expect(outcome).toMatchObject({
      outcome: 'published',
      decision: { kind: 'approved', by: APPROVER, via: 'signal' },
    });
    expect(fakes.calls.publishSnapshots).toHaveLength(1);
  });

  it('ignores and audits approve signals and refuses an Update that name an approver without proof', async () => {
    const fakes = fakeActivities();
    await withRefresh(refreshInput('strategic'), fakes, async (run) => {
      await awaitingApproval(run);
      await run.signal(approveSignal, { approver: APPROVER });
      await run.signal(approveSignal, { approver: 'bea' });
      const after = await statusWhen(run, (s) => s.ignored.length > 1, 'two ignored signals');
      expect(after.ignored.map((i) => [i.from, i.reason])).toEqual([
        [`${APPROVER} (unproven)`, expect.stringMatching(/^unproven decision: it carries no proof of who sent it/)],
        ['bea (unproven)', expect.stringMatching(/^unproven decision: it carries no proof of who sent it/)],
      ]);
      expect(await refusedUpdate(run, APPROVER, { proof: undefined })).toBe(
        `the decision carries no proof that ${APPROVER} sent it; ask the cohortflow API for one (cohortflow refresh proof)`,
      );
      expect((await run.query(status)).decisions ?? []).toEqual([]);
      await terminateWhenIdle(run);
    });
    expect(fakes.calls.audit.filter((a) => a.action === 'decision.ignored').map((a) => a.actor)).toEqual([
      'unproven',
      'unproven',
    ]);
  });

  it('auto-approves tactical cohorts whose checks all pass, by policy', async () => {
    const fakes = fakeActivities({ verdict: 'pass' });
    const outcome = await withRefresh(refreshInput('tactical'), fakes, (run) => run.result());
    expect(outcome).toMatchObject({
      outcome: 'published',
      decision: { kind: 'approved', by: 'policy', via: 'policy' },
    });
    expect(fakes.calls.publishSnapshots).toHaveLength(1);
    expect(fakes.audited()).not.toContain('approval.requested');
  });

  it('waits for approval of a tactical cohort whose checks warn', async () => {
    await withRefresh(refreshInput('tactical'), fakeActivities({ verdict: 'warn' }), async (run) => {
      const waiting = await awaitingApproval(run);
      expect(waiting.pendingApproval?.reason).toBe('lapsed-buyers: checks warn');
      await terminateWhenIdle(run);
    });
  });

  it('refuses a decision sent before the approval gate opens', async () => {
    const computing = gate();
    const fakes = fakeActivities({
      overrides: (plain) => ({ computeCohort: async (input) => (await computing.opened, plain.computeCohort(input)) }),
    });
    await withRefresh(refreshInput('strategic'), fakes, async (run) => {
      await statusWhen(run, (s) => s.stage === 'compute', 'compute');
      expect(await refusedUpdate(run, APPROVER)).toMatch(/is not awaiting approval \(stage: compute\)/);
      computing.open();
      await awaitingApproval(run);
      await terminateWhenIdle(run);
    });
  });

  it('refuses a second decision once the run has been decided', async () => {
    const publishing = gate();
    const fakes = fakeActivities({
      overrides: (plain) => ({
        publishSnapshots: async (input) => (await publishing.opened, plain.publishSnapshots(input)),
      }),
    });
    const outcome = await withRefresh(refreshInput('strategic'), fakes, async (run) => {
      await awaitingApproval(run);
      await decideAs(run, { approver: APPROVER, decision: 'approve' });
      await statusWhen(run, (s) => s.stage === 'publish', 'publish');
      expect(await refusedUpdate(run, APPROVER)).toMatch(
        /is no longer awaiting approval: it was approved by alex at .*; nothing changed/,
      );
      publishing.open();
      return run.result();
    });
    expect(outcome.decision).toMatchObject({ kind: 'approved', by: APPROVER });
    expect(fakes.audited().filter((a) => a.startsWith('decision.'))).toEqual(['decision.approved']);
  });

  it('materialises measures once, computes referenced cohorts first, at most four at a time, then drops the measures', async () => {
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const planned = [
      { cohortId: 'at-risk', definitionVersion: 1, dependsOn: ['paying'] },
      { cohortId: 'paying', definitionVersion: 1, dependsOn: [] },
      { cohortId: 'winback', definitionVersion: 1, dependsOn: ['at-risk', 'paying'] },
      ...['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ cohortId: id, definitionVersion: 1, dependsOn: [] })),
    ];
    const fakes = fakeActivities({
      overrides: (plain) => ({
        planCompute: async () => planned,
        materialiseRunMeasures: async (input) => {
          log.push('measures');
          return plain.materialiseRunMeasures(input);
        },
        computeCohort: async (input) => {
          running += 1;
          most = Math.max(most, running);
          log.push(`start ${input.cohortId}`);
          await Promise.resolve();
          log.push(`end ${input.cohortId}`);
          running -= 1;
          return plain.computeCohort(input);
        },
        dropRunMeasures: async () => {
          log.push('drop');
        },
      }),
    });
    await withRefresh(refreshInput('all'), fakes, async (run) => {
      await awaitingApproval(run);
      await terminateWhenIdle(run);
    });
    const at = (entry: string) => log.indexOf(entry);
    expect(log[0]).toBe('measures');
    expect(log.at(-1)).toBe('drop');
    expect(at('end paying')).toBeLessThan(at('start at-risk'));
    expect(at('end at-risk')).toBeLessThan(at('start winback'));
    expect(fakes.calls.computeCohort.map((c) => c.cohortId).sort()).toEqual(planned.map((p) => p.cohortId).sort());
    expect(most).toBeLessThanOrEqual(4);
  });

  it('fails at once, without retries, when planning reports invalid input', async () => {
    const fakes = fakeActivities({
      overrides: () => ({
        planCompute: async () => {
          throw ApplicationFailure.nonRetryable(
            'cohorts/lapsed.yaml: min_size must be a number, got "ten"',
            'InvalidInput',
          );
        },
      }),
    });
    const err = await withRefresh(refreshInput('tactical'), fakes, (run) =>
      run.result().then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(ActivityFailure);
    expect((err as WorkflowFailedError).cause?.cause).toMatchObject({
      type: 'InvalidInput',
      nonRetryable: true,
      message: 'cohorts/lapsed.yaml: min_size must be a number, got "ten"',
    });
    expect(fakes.calls.planCompute).toHaveLength(1);
    expect(fakes.calls.computeCohort).toHaveLength(0);
    expect(fakes.calls.recordOutcome).toEqual([expect.objectContaining({ outcome: 'failed' })]);
  });

  it('stops before compute when a source fails its data-quality checks, saying why', async () => {
    const failing = {
      source: 'billing',
      kind: 'billing',
      filesRead: 1,
      filesSkipped: 0,
      rowsRead: 100,
      stored: 80,
      duplicates: 0,
      quarantined: 20,
      verdict: 'fail' as const,
      checks: [
        {
          name: 'quarantine_rate' as const,
          verdict: 'fail' as const,
          reason: '20 of 100 rows quarantined (20%)',
          figures: {},
          thresholds: {},
        },
      ],
    };
    const fakes = fakeActivities({
      overrides: (plain) => ({
        ingestSources: async (input) => ({ ...(await plain.ingestSources(input)), sources: [failing] }),
      }),
    });
    const { outcome, final } = await withRefresh(refreshInput('tactical'), fakes, async (run) => ({
      outcome: await run.result(),
      final: await run.query(status),
    }));
    expect(outcome.outcome).toBe('failed');
    expect(final.failure).toMatch(/billing: 20 of 100 rows quarantined/);
    expect(fakes.calls.planCompute).toHaveLength(0);
    expect(fakes.audited()).toContain('ingest.quality_failed');
  });

  it('asks a human when a source only warns, even for passing tactical cohorts', async () => {
    const warning = {
      source: 'product',
      kind: 'product',
      filesRead: 1,
      filesSkipped: 0,
      rowsRead: 100,
      stored: 100,
      duplicates: 0,
      quarantined: 0,
      verdict: 'warn' as const,
      checks: [],
    };
    const fakes = fakeActivities({
      overrides: (plain) => ({
        ingestSources: async (input) => ({ ...(await plain.ingestSources(input)), sources: [warning] }),
      }),
    });
    await withRefresh(refreshInput('tactical'), fakes, async (run) => {
      const waiting = await awaitingApproval(run);
      expect(waiting.pendingApproval?.reason).toBe('lapsed-buyers: source product warns');
      await terminateWhenIdle(run);
    });
  });
});
