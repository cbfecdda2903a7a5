import { requestChangesSignal, rejectSignal, status } from '../../src/workflows/messages';
import type { ApprovalPolicy, CohortReport, CohortTier, Verdict } from '../../src/shared';
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

const BEA = 'bea';
const CARL = 'carl';
const ERIN = 'erin';

/** Strategic cohorts need two of alex, bea and carl; tactical ones one of erin or alex. */
const twoForStrategic: ApprovalPolicy = {
  approvers: [APPROVER, BEA, CARL, ERIN],
  deadline: '72h',
  tiers: {
    strategic: { approvers: [APPROVER, BEA, CARL], approvals: 2 },
    tactical: { approvers: [APPROVER, ERIN], approvals: 1 },
  },
  reminders: ['24h', '48h'],
};

interface CohortSetup {
  tier: CohortTier;
  verdict?: Verdict;
  changedBy?: string[];
}

/** A run over several cohorts, each with its tier, verdict and the authors of its changed definition. */
function cohortsRun(cohorts: Record<string, CohortSetup>) {
  return fakeActivities({
    overrides: (plain) => ({
      planCompute: async () =>
        Object.keys(cohorts).map((cohortId) => ({ cohortId, definitionVersion: 1, dependsOn: [] })),
      computeCohort: async (input) => ({ ...(await plain.computeCohort(input)), tier: cohorts[input.cohortId]!.tier }),
      testAgainstBaselines: async ({ snapshotIds }) =>
        snapshotIds.map((snapshotId): CohortReport => {
          const cohortId = snapshotId.replace(/^snap-/, '');
          const c = cohorts[cohortId]!;
          const verdict = c.verdict ?? 'pass';
          const checks =
            verdict === 'pass'
              ? []
              : [
                  {
                    name: 'churn' as const,
                    verdict,
                    reason: 'Jaccard 0.4 with the published membership (warn below 0.8, fail below 0.5)',
                  },
                ];
          return { cohortId, snapshotId, verdict, checks, changedBy: c.changedBy ?? [] };
        }),
    }),
  });
}

describe('approval gate', () => {
  it('publishes a strategic cohort only after two distinct approvers, refusing the same approver twice', async () => {
    const fakes = cohortsRun({ 'paying-enterprise': { tier: 'strategic' } });
    const outcome = await withRefresh(refreshInput('strategic', { policy: twoForStrategic }), fakes, async (run) => {
      await awaitingApproval(run);
      const first = await decideAs(run, { approver: APPROVER, decision: 'approve', comment: 'sizes fine' });
      expect(first).toMatchObject({
        kind: 'approved',
        cohorts: ['paying-enterprise'],
        waiting: [{ cohortId: 'paying-enterprise', approvalsNeeded: 1 }],
      });
      expect(await refusedUpdate(run, APPROVER)).toBe(
        'alex already approved paying-enterprise; the next approval must come from someone else',
      );
      expect((await run.query(status)).approval?.cohorts[0]).toMatchObject({
        state: 'waiting',
        approvals: [{ by: APPROVER, comment: 'sizes fine' }],
      });
      await decideAs(run, { approver: BEA, decision: 'approve' });
      return run.result();
    });
    expect(outcome).toMatchObject({ outcome: 'published', decision: { kind: 'approved', by: 'alex, bea' } });
    expect(fakes.calls.publishSnapshots).toEqual([
      expect.objectContaining({ snapshotIds: ['snap-paying-enterprise'], approvedBy: 'alex, bea' }),
    ]);
  });

  it('publishes the approved cohorts and holds back the others (partial approval)', async () => {
    const fakes = cohortsRun({
      'at-risk': { tier: 'tactical', verdict: 'warn' },
      'power-users': { tier: 'tactical', verdict: 'warn' },
      'trial-converting': { tier: 'tactical' },
    });
    const outcome = await withRefresh(refreshInput('tactical', { policy: twoForStrategic }), fakes, async (run) => {
      const waiting = await awaitingApproval(run);
      expect(waiting.approval?.cohorts.map((c) => [c.cohortId, c.state])).toEqual([
        ['at-risk', 'waiting'],
        ['power-users', 'waiting'],
        ['trial-converting', 'auto'],
      ]);
      await decideAs(run, { approver: ERIN, decision: 'approve', cohorts: ['at-risk'] });
      await decideAs(run, {
        approver: ERIN,
        decision: 'reject',
        cohorts: ['power-users'],
        comment: 'churn too high, look first',
      });
      return run.result();
    });
    expect(outcome).toMatchObject({
      outcome: 'published',
      heldBack: ['power-users'],
      decision: { kind: 'approved', comment: 'approved; held back: power-users' },
    });
    expect(fakes.calls.publishSnapshots[0]?.snapshotIds).toEqual(['snap-at-risk', 'snap-trial-converting']);
    expect(fakes.calls.deliverCohort.map((d) => d.cohortId).sort()).toEqual(['at-risk', 'trial-converting']);
  });

  it('keeps the author of a changed definition from deciding the run (four eyes)', async () => {
    const fakes = cohortsRun({
      'at-risk': { tier: 'tactical', verdict: 'warn', changedBy: [ERIN] },
      'power-users': { tier: 'tactical', verdict: 'warn' },
    });
    await withRefresh(refreshInput('tactical', { policy: twoForStrategic }), fakes, async (run) => {
      const waiting = await awaitingApproval(run);
      expect(waiting.approval).toMatchObject({ excluded: [REQUESTER, ERIN], approvers: [APPROVER] });
      // Not even the cohort she did not change: she is an author in this run.
      expect(await refusedUpdate(run, ERIN, { cohorts: ['power-users'] })).toBe(
        'erin wrote the changed definition of at-risk in this run and cannot decide it (four eyes)',
      );
      await terminateWhenIdle(run);
    });
  });

  it("refuses an approver outside the cohort tier's approvers", async () => {
    await withRefresh(
      refreshInput('all', { policy: twoForStrategic }),
      cohortsRun({ 'paying-enterprise': { tier: 'strategic' } }),
      async (run) => {
        await awaitingApproval(run);
        expect(await refusedUpdate(run, ERIN)).toBe(
          'erin may not decide paying-enterprise (strategic approvers — strategic: alex, bea, carl)',
        );
        await terminateWhenIdle(run);
      },
    );
  });

  it('needs a comment to approve a cohort whose checks failed', async () => {
    const fakes = cohortsRun({ 'at-risk': { tier: 'tactical', verdict: 'fail' } });
    const outcome = await withRefresh(refreshInput('tactical', { policy: twoForStrategic }), fakes, async (run) => {
      await awaitingApproval(run);
      expect(await refusedUpdate(run, ERIN)).toBe(
        'at-risk failed a baseline check; approving needs a comment that says why',
      );
      await decideAs(run, {
        approver: ERIN,
        decision: 'approve',
        comment: 'the drop is the expected end of the promo',
      });
      return run.result();
    });
    expect(outcome.outcome).toBe('published');
  });

  it('ends the run with changes requested, publishing nothing', async () => {
    const fakes = cohortsRun({
      'at-risk': { tier: 'tactical', verdict: 'warn' },
      'trial-converting': { tier: 'tactical' },
    });
    const outcome = await withRefresh(refreshInput('tactical', { policy: twoForStrategic }), fakes, async (run) => {
      await awaitingApproval(run);
      expect(await refusedUpdate(run, ERIN, { decision: 'request-changes' })).toBe(
        'request-changes needs a comment that says what to change',
      );
      await run.signal(
        requestChangesSignal,
        await proven(run, {
          approver: ERIN,
          comment: 'exclude trial accounts from at-risk',
          decision: 'request-changes',
        }),
      );
      return run.result();
    });
    expect(outcome).toMatchObject({
      outcome: 'changes-requested',
      decision: { kind: 'changes-requested', by: ERIN, via: 'signal' },
      published: [],
    });
    expect(fakes.calls.publishSnapshots).toHaveLength(0);
    expect(fakes.audited()).toContain('decision.changes-requested');
  });

  it('reminds the eligible approvers on schedule, then expires at the deadline and publishes nothing', async () => {
    const fakes = cohortsRun({ 'paying-enterprise': { tier: 'strategic' } });
    const { outcome, final } = await withRefresh(
      refreshInput('strategic', { policy: twoForStrategic }),
      fakes,
      async (run) => {
        await awaitingApproval(run);
        await waitingOnTimer(run);
        return { outcome: await run.result(), final: await run.query(status) }; // the server skips 72 hours
      },
    );
    expect(outcome).toMatchObject({ outcome: 'expired', published: [] });
    expect(final.failure).toBe(
      'the approval deadline (72h) passed with paying-enterprise still waiting; nothing was published',
    );
    expect(fakes.calls.notifyApprovers.map((n) => [n.event, n.reminder])).toEqual([
      ['opened', 0],
      ['reminder', 1],
      ['reminder', 2],
      ['expired', 2],
    ]);
    expect(fakes.calls.notifyApprovers[0]).toMatchObject({
      approvers: [APPROVER, BEA, CARL],
      waiting: [{ cohortId: 'paying-enterprise', approvalsNeeded: 2 }],
    });
    // Reminders come 24 h and 48 h after the gate opened, the expiry 72 h after.
    expect(fakes.audited().filter((a) => a.startsWith('approval.') || a === 'decision.expired')).toEqual([
      'approval.requested',
      'approval.reminded',
      'approval.reminded',
      'decision.expired',
    ]);
    expect(fakes.calls.publishSnapshots).toHaveLength(0);
  });

  it('answers a decision after the deadline, for another run, or for an unknown cohort clearly and changes nothing', async () => {
    const expiring = gate();
    const fakes = cohortsRun({ 'at-risk': { tier: 'tactical', verdict: 'warn' } });
    const notify = fakes.activities.notifyApprovers;
    fakes.activities.notifyApprovers = async (n) => {
      await notify(n);
      if (n.event === 'expired') await expiring.opened; // the run stays open after its gate expired
    };
    await withRefresh(
      refreshInput('tactical', { policy: { ...twoForStrategic, deadline: '1h', reminders: [] } }),
      fakes,
      async (run) => {
        await awaitingApproval(run);
        expect(await refusedUpdate(run, ERIN, { runId: 'refresh-monthly-other' })).toBe(
          `this decision names run refresh-monthly-other, but this is run ${run.workflowId}; nothing changed`,
        );
        expect(await refusedUpdate(run, ERIN, { cohorts: ['nope'] })).toBe(
          `not part of run ${run.workflowId}: nope (its cohorts: at-risk)`,
        );
        await run.signal(rejectSignal, await proven(run, { approver: 'mallory', decision: 'reject' }));
        await statusWhen(run, (s) => s.ignored.length === 1, 'the ignored signal');
        await waitingOnTimer(run);
        const finished = run.result(); // waiting on the result lets the server skip time to the deadline
        await statusWhen(run, (s) => s.decision?.kind === 'expired', 'expiry');
        expect(await refusedUpdate(run, ERIN)).toMatch(
          new RegExp(
            `^run ${run.workflowId} is no longer awaiting approval: it was expired by deadline at .*; nothing changed$`,
          ),
        );
        expiring.open();
        await finished;
        const final = await run.query(status);
        expect(final.decisions ?? []).toEqual([]);
        expect(final.ignored[0]).toMatchObject({
          name: 'reject',
          from: 'mallory',
          reason: expect.stringMatching(/mallory may not decide at-risk/),
        });
      },
    );
    expect(fakes.audited()).toEqual(expect.arrayContaining(['decision.ignored', 'decision.expired']));
    expect(fakes.audited()).not.toContain('decision.rejected');
  });
});
