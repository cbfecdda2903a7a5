import { status } from '../../src/workflows/messages';
import { RefreshOutcome, RerunOf } from '../../src/workflows/search-attributes';
import { checkProof } from '../../src/governance/decision-proof';
import { signedRefreshStart } from '../../src/temporal/signed-messages';
import { refreshStartExpectation } from '../../src/workflows/proof-rules';
import {
  APPROVER,
  fakeActivities,
  refreshInput,
  REQUESTER,
  rollBackAs,
  statusWhen,
  TEST_KEYRING,
  TEST_SIGNER,
  useTimeSkippingServer,
  withRefresh,
} from '../support/workflow-harness';

useTimeSkippingServer();

const FAILED = 'refresh-monthly-20260101T000000-abcdef';

describe('a re-run of a failed run', () => {
  it('from compute reuses the failed run’s ingest, links both runs, and computes now over the data there is', async () => {
    const fakes = fakeActivities();
    const input = refreshInput('tactical', { asOf: undefined, rerun: { runId: FAILED, from: 'compute' } });
    const { outcome, final, described } = await withRefresh(input, fakes, async (run) => ({
      outcome: await run.result(),
      final: await run.query(status),
      described: await run.describe(),
    }));
    expect(outcome.outcome).toBe('published');
    expect(fakes.calls.ingestSources).toHaveLength(0);
    expect(fakes.calls.reuseIngest).toEqual([{ runId: outcome.runId, of: FAILED }]);
    expect(final.rerunOf).toEqual({ runId: FAILED, from: 'compute' });
    expect(final.asOf).not.toBe('2026-01-01T00:00:00.000Z');
    expect(fakes.calls.registerRun).toEqual([expect.objectContaining({ rerunOf: { runId: FAILED, from: 'compute' } })]);
    expect(fakes.calls.audit).toContainEqual(
      expect.objectContaining({
        runId: FAILED,
        action: 'run.rerun',
        details: expect.objectContaining({ rerun: outcome.runId }),
      }),
    );
    expect(described.typedSearchAttributes.get(RerunOf)).toBe(FAILED);
    expect(described.memo).toMatchObject({ rerunOf: FAILED, rerunFrom: 'compute', requestedBy: REQUESTER });
  });

  it('from the baseline tests computes at the failed run’s asOf, so its cohorts are the same', async () => {
    const fakes = fakeActivities();
    const input = refreshInput('tactical', { asOf: undefined, rerun: { runId: FAILED, from: 'baseline-test' } });
    const final = await withRefresh(input, fakes, async (run) => (await run.result(), run.query(status)));
    expect(final.asOf).toBe('2026-01-01T00:00:00.000Z');
    expect(fakes.calls.planCompute).toEqual([expect.objectContaining({ asOf: '2026-01-01T00:00:00.000Z' })]);
  });

  it('from ingest reads the sources again', async () => {
    const fakes = fakeActivities();
    await withRefresh(refreshInput('tactical', { rerun: { runId: FAILED, from: 'ingest' } }), fakes, (run) =>
      run.result(),
    );
    expect(fakes.calls.ingestSources).toHaveLength(1);
    expect(fakes.calls.reuseIngest).toHaveLength(0);
  });

  it('is proven like any start: a start proof without the re-run does not cover one', () => {
    const plain = refreshInput('tactical');
    const signed = signedRefreshStart(TEST_SIGNER, 'refresh-x', plain);
    const asRerun = { ...plain, rerun: { runId: FAILED, from: 'compute' as const } };
    expect(checkProof(TEST_KEYRING, signed.requestProof, refreshStartExpectation(plain, 'refresh-x')).valid).toBe(true);
    expect(checkProof(TEST_KEYRING, signed.requestProof, refreshStartExpectation(asRerun, 'refresh-x')).valid).toBe(
      false,
    );
  });
});

describe('the outcome ops filter by', () => {
  it('follows rollbacks: a run whose every published cohort was rolled back reads rolled-back', async () => {
    const fakes = fakeActivities();
    const { final, described } = await withRefresh(refreshInput('tactical'), fakes, async (run) => {
      await statusWhen(run, (s) => s.stage === 'watching', 'the watch window');
      await rollBackAs(run, { requestedBy: APPROVER, reason: 'wrong segment sent' });
      return { final: await run.query(status), described: await run.describe() };
    });
    expect(final.outcome).toBe('rolled-back');
    expect(described.typedSearchAttributes.get(RefreshOutcome)).toBe('rolled-back');
  });

  it('keeps who asked and why in the memo of a run started without one', async () => {
    const described = await withRefresh(refreshInput('tactical'), fakeActivities(), async (run) => {
      await run.result();
      return run.describe();
    });
    expect(described.memo).toMatchObject({ requestedBy: REQUESTER, rationale: 'monthly refresh' });
  });
});
