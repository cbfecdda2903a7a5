import { ApplicationFailure } from '@temporalio/common';
import { status } from '../../src/workflows/messages';
import type { ShadowRunSummary } from '../../src/shared';
import { fakeActivities, refreshInput, useTimeSkippingServer, withRefresh } from '../support/workflow-harness';

useTimeSkippingServer();

// Shadow definitions in the refresh cycle, on the time-skipping server with fake activities:
// computed after the live cohorts' baseline tests, never handed to publish, never able to stop
// the refresh.

const SUMMARY: ShadowRunSummary = {
  shadowId: 'shadow_0123456789ab',
  cohortId: 'lapsed-buyers',
  liveSize: 42,
  shadowSize: 50,
  overlap: 40,
  adds: 10,
  removes: 2,
  jaccard: 0.769,
  verdict: 'warn',
  liveVerdict: 'pass',
  runsRemaining: 2,
  status: 'active',
};

const withShadow = (runShadow: () => Promise<ShadowRunSummary>) =>
  fakeActivities({
    overrides: () => ({
      planShadows: async () => [{ shadowId: SUMMARY.shadowId, cohortId: SUMMARY.cohortId }],
      runShadow,
    }),
  });

describe('shadows in the refresh cycle', () => {
  it('runs each planned shadow after the baseline tests, at the run’s asOf, and publishes only the live snapshot', async () => {
    const fakes = withShadow(async () => SUMMARY);
    const { outcome, shadows } = await withRefresh(refreshInput('tactical'), fakes, async (run) => ({
      outcome: await run.result(),
      shadows: (await run.query(status)).shadows,
    }));
    expect(outcome.outcome).toBe('published');
    expect(fakes.calls.runShadow).toEqual([
      {
        runId: expect.any(String),
        shadowId: SUMMARY.shadowId,
        cohortId: 'lapsed-buyers',
        asOf: '2025-01-31T00:00:00.000Z',
      },
    ]);
    expect(fakes.calls.testAgainstBaselines).toHaveLength(1);
    expect(fakes.calls.publishSnapshots).toEqual([expect.objectContaining({ snapshotIds: ['snap-lapsed-buyers'] })]);
    expect(outcome.published.map((p) => p.snapshotId)).toEqual(['snap-lapsed-buyers']);
    expect(shadows).toEqual([SUMMARY]);
  });

  it('goes on to publish when a shadow cannot be computed, and says why in the status', async () => {
    const fakes = withShadow(async () => {
      throw ApplicationFailure.nonRetryable(
        'shadow_0123456789ab: rule: in_cohort: no cohort "gone" in the catalog any more',
      );
    });
    const { outcome, shadows } = await withRefresh(refreshInput('tactical'), fakes, async (run) => ({
      outcome: await run.result(),
      shadows: (await run.query(status)).shadows,
    }));
    expect(outcome.outcome).toBe('published');
    expect(shadows).toEqual([
      expect.objectContaining({
        shadowId: SUMMARY.shadowId,
        shadowSize: null,
        runsRemaining: null,
        error: expect.stringContaining('no cohort "gone"'),
      }),
    ]);
  });

  it('plans shadows once and runs none when no cohort of the run has one', async () => {
    const fakes = fakeActivities();
    const outcome = await withRefresh(refreshInput('tactical'), fakes, (run) => run.result());
    expect(outcome.outcome).toBe('published');
    expect(fakes.calls.planShadows).toHaveLength(1);
    expect(fakes.calls.runShadow).toHaveLength(0);
  });
});
