import { MockActivityEnvironment } from '@temporalio/testing';
import { testAgainstBaselines } from '../../src/activities/baseline';
import type { ActivityDeps } from '../../src/activities/deps';
import { profilesOf } from '../../src/baseline/profile-store';
import { runReport } from '../../src/baseline/report-store';
import { createLogger } from '../../src/log';
import type { CheckResult, CohortReport, SourceReport } from '../../src/shared';
import { addCustomer, addEvent, changeCustomer, rebuildDerivedState } from '../support/cohort-data';
import { freshDatabase, type TestDatabase } from '../support/db';
import { customerIds, publish, recordVersion, registerRun, storeSnapshot } from '../support/snapshot-data';

// The baseline tests over real Postgres: a publish history written into the tables, then the
// activity on a new run, asserted on the report it stores and the payload it returns.

const HISTORY = ['2025-09-01', '2025-10-01', '2025-11-01', '2025-12-01'].map((d) => `${d}T00:00:00.000Z`);
const AS_OF = '2026-01-01T00:00:00.000Z';
const RUN = 'run-2026-01';

const definition = (id: string, changes: Record<string, unknown> = {}) => ({
  id,
  name: id,
  purpose: `Specification cohort ${id}.`,
  owner: 'qa',
  tier: 'tactical',
  status: 'active',
  rule: { trait: { name: 'plan', in: ['pro'] } },
  sources: ['crm'],
  destinations: [],
  checks: { minSize: 1, sizeShiftWarnPct: 20, sizeShiftFailPct: 50 },
  limitations: 'none known',
  ...changes,
});

const CRM_REPORT: SourceReport = {
  source: 'crm',
  kind: 'crm',
  verdict: 'warn',
  filesRead: 1,
  filesSkipped: 0,
  rowsRead: 200,
  stored: 190,
  duplicates: 0,
  quarantined: 10,
  erased: 0,
  checks: [
    {
      name: 'quarantine_rate',
      verdict: 'warn',
      reason: '10 of 200 rows quarantined (5%)',
      figures: { quarantined: 10, rows: 200, pct: 5 },
      thresholds: { warnPct: 1, failPct: 10 },
    },
  ],
};

let test: TestDatabase;
let deps: ActivityDeps;
let payload: CohortReport[];
let snapshots: Record<string, string>;

// Inside an activity context, as the worker runs it (logging and heartbeats need one).
const runActivity = (input: Parameters<typeof testAgainstBaselines>[1]) =>
  new MockActivityEnvironment().run(testAgainstBaselines, deps, input) as Promise<CohortReport[]>;
const storedRows = async () =>
  (await test.db.query('SELECT * FROM baseline_reports WHERE run_id = $1 ORDER BY cohort_id', [RUN])).rows;
const reportOf = async (cohortId: string) =>
  (await runReport(test.db, RUN))!.cohorts.find((c) => c.cohortId === cohortId)!;
const checkOf = (checks: CheckResult[], name: string, subject?: string) =>
  checks.find((c) => c.name === name && c.subject === subject)!;

beforeAll(async () => {
  test = await freshDatabase('baseline_report');
  deps = { db: test.db, log: createLogger('silent'), sourceDir: '', catalogDir: '', destinations: [] };

  // c001–c100: steady customers on the free plan. c101–c200: 80 free and 20 pro, of whom 60
  // (c121–c180) move to pro in mid-December; signed up long ago, so tenure stays ≥ 2 years.
  for (const id of customerIds('c', 1, 200)) {
    const n = Number(id.slice(1));
    await addCustomer(test.db, id, {
      plan: n > 180 && n <= 200 ? 'pro' : 'free',
      country: 'DE',
      lifecycle_stage: 'customer',
      signup_at: '2023-01-01T00:00:00Z',
    });
  }
  for (const id of customerIds('c', 121, 180)) {
    await changeCustomer(
      test.db,
      id,
      { updatedAt: '2025-12-15T00:00:00Z', ingestedAt: '2025-12-15T01:00:00Z' },
      { plan: 'pro' },
    );
    await addEvent(test.db, id, 'invoice_paid', '2025-12-16T00:00:00Z', { value: 50, properties: { currency: 'USD' } });
  }
  // The first 20 pro customers paid 46 EUR (= $50) in November, visible at both asOfs (90-day window).
  for (const id of customerIds('c', 181, 200))
    await addEvent(test.db, id, 'invoice_paid', '2025-11-15T00:00:00Z', { value: 46, properties: { currency: 'EUR' } });
  // … and $50 again in December.
  for (const id of customerIds('c', 181, 200))
    await addEvent(test.db, id, 'invoice_paid', '2025-12-16T00:00:00Z', { value: 50, properties: { currency: 'USD' } });
  await rebuildDerivedState(test.db);

  await recordVersion(test.db, 'shrinking', 1, definition('shrinking'), { author: 'ana' });
  await recordVersion(test.db, 'plan-mix', 1, definition('plan-mix'), { author: 'ana' });
  await recordVersion(test.db, 'renamed', 1, definition('renamed'), { author: 'ana' });
  await recordVersion(test.db, 'brand-new', 1, definition('brand-new'), { author: 'ana' });

  // Four monthly publishes of shrinking (90, 110, 100, 100 members); plan-mix and renamed once.
  const sizes = [90, 110, 100, 100];
  for (const [i, asOf] of HISTORY.entries()) {
    const runId = `run-history-${i + 1}`;
    await registerRun(test.db, runId, asOf);
    await publish(
      test.db,
      await storeSnapshot(test.db, {
        runId,
        cohortId: 'shrinking',
        version: 1,
        asOf,
        customerIds: customerIds('c', 1, sizes[i]!),
      }),
    );
  }
  await publish(
    test.db,
    await storeSnapshot(test.db, {
      runId: 'run-history-4',
      cohortId: 'plan-mix',
      version: 1,
      asOf: HISTORY[3]!,
      customerIds: customerIds('c', 101, 200),
    }),
  );
  await publish(
    test.db,
    await storeSnapshot(test.db, {
      runId: 'run-history-4',
      cohortId: 'renamed',
      version: 1,
      asOf: HISTORY[3]!,
      customerIds: customerIds('c', 1, 50),
    }),
  );

  // Since then: renamed was edited twice, by two other people.
  await recordVersion(
    test.db,
    'renamed',
    2,
    definition('renamed', { rule: { trait: { name: 'plan', in: ['pro', 'enterprise'] } } }),
    { author: 'bob', rationale: 'enterprise too' },
  );
  await recordVersion(
    test.db,
    'renamed',
    3,
    definition('renamed', {
      name: 'Renamed cohort',
      rule: { trait: { name: 'plan', in: ['pro', 'enterprise'] } },
      checks: { minSize: 1, sizeShiftWarnPct: 20, sizeShiftFailPct: 50, allowEmpty: true },
    }),
    { author: 'cara', rationale: 'a clearer name' },
  );

  // The run under test.
  await registerRun(test.db, RUN, AS_OF);
  snapshots = {
    shrinking: await storeSnapshot(test.db, {
      runId: RUN,
      cohortId: 'shrinking',
      version: 1,
      asOf: AS_OF,
      customerIds: customerIds('c', 1, 40),
    }),
    'plan-mix': await storeSnapshot(test.db, {
      runId: RUN,
      cohortId: 'plan-mix',
      version: 1,
      asOf: AS_OF,
      customerIds: customerIds('c', 101, 200),
    }),
    renamed: await storeSnapshot(test.db, {
      runId: RUN,
      cohortId: 'renamed',
      version: 3,
      asOf: AS_OF,
      customerIds: customerIds('c', 1, 50),
    }),
    'brand-new': await storeSnapshot(test.db, {
      runId: RUN,
      cohortId: 'brand-new',
      version: 1,
      asOf: AS_OF,
      customerIds: customerIds('c', 1, 10),
    }),
  };
  payload = await runActivity({ runId: RUN, snapshotIds: Object.values(snapshots), sources: [CRM_REPORT] });
});

afterAll(async () => {
  await test.drop();
});

describe('membership churn and the blast-radius breaker', () => {
  it('fails a cohort that lost 60% of its published members on churn and on the breaker', async () => {
    const report = await reportOf('shrinking');

    expect(report.verdict).toBe('fail');
    expect(checkOf(report.checks, 'churn')).toMatchObject({
      verdict: 'fail',
      figures: { jaccard: 0.4, adds: 0, removes: 60, addsPct: 0, removesPct: 60 },
    });
    expect(checkOf(report.checks, 'churn').reason).toBe(
      'Jaccard 0.4 with the published membership (warn below 0.8, fail below 0.5); +0 / −60 members (0% / 60% of 100)',
    );
    expect(checkOf(report.checks, 'blast_radius')).toMatchObject({
      verdict: 'fail',
      figures: { removes: 60, previous: 100, removedPct: 60 },
      thresholds: { maxRemovalPct: 50 },
    });
  });

  it('compares with the published version and a trailing baseline of every publish so far', async () => {
    const report = await reportOf('shrinking');

    expect(report.comparedTo).toEqual({ snapshotId: expect.stringMatching(/^snap_/), version: 4 });
    expect(report.baseline).toEqual({ snapshots: 4 });
    // Sizes 100, 100, 110, 90: median 100, mean 100.
    expect(checkOf(report.checks, 'size_vs_baseline')).toMatchObject({
      verdict: 'fail',
      figures: { size: 40, n: 4, median: 100, mean: 100, min: 90, max: 110, shiftPct: 60 },
    });
    expect(checkOf(report.checks, 'size_shift')).toMatchObject({
      verdict: 'fail',
      figures: { size: 40, previous: 100, shiftPct: 60, change: -60 },
    });
  });
});

describe('drift of the members’ attributes, each read at its snapshot’s own asOf', () => {
  it('fails the plan mix that moved from 80/20 to 20/80 while the membership stayed the same', async () => {
    const report = await reportOf('plan-mix');
    const plan = checkOf(report.checks, 'drift', 'plan');

    expect(checkOf(report.checks, 'churn')).toMatchObject({ verdict: 'pass', figures: { jaccard: 1 } });
    // Shares smoothed by ½ a member per bucket: 80.5/101 = 0.797, 20.5/101 = 0.203 and back;
    // PSI = 2 × (0.797 − 0.203) × ln(0.797 / 0.203) = 2 × 0.594 × 1.368 = 1.625.
    // Chi-square: every expected count is 50, so χ² = 4 × 30² / 50 = 72, V = √(72 / 200) = 0.6.
    expect(plan).toMatchObject({
      verdict: 'fail',
      figures: { psi: 1.6251, chiSquare: 72, degreesOfFreedom: 1, cramersV: 0.6, largestMove: 'free' },
    });
    expect(plan.figures.pValue as number).toBeLessThan(1e-15);
    expect(plan.details?.buckets).toEqual([
      { bucket: 'free', previous: 80, current: 20 },
      { bucket: 'pro', previous: 20, current: 80 },
    ]);
    expect(checkOf(report.checks, 'drift', 'country')).toMatchObject({ verdict: 'pass', figures: { psi: 0 } });
    expect(checkOf(report.checks, 'drift', 'tenure')).toMatchObject({ verdict: 'pass', figures: { psi: 0 } });
  });

  it('compares the members’ 90-day value in USD, euros converted', async () => {
    const value = checkOf((await reportOf('plan-mix')).checks, 'value_shift');

    // Before: 20 of 100 paid $50 → mean $10, median $0. Now: 60 paid $50 and 20 paid $100 → mean $50, median $50.
    expect(value).toMatchObject({
      verdict: 'fail',
      figures: {
        previousMeanUsd: 10,
        meanUsd: 50,
        meanShiftPct: 400,
        previousMedianUsd: 0,
        medianUsd: 50,
        medianShiftPct: 100,
      },
    });
  });

  it('computes the published snapshot’s profile once, when first needed, and keeps it', async () => {
    const published = (await reportOf('plan-mix')).comparedTo!.snapshotId;
    const stored = () =>
      test.db.query<{ members: number; computed_at: Date }>(
        'SELECT members, computed_at FROM snapshot_profiles WHERE snapshot_id = $1',
        [published],
      );
    const first = (await stored()).rows;

    const again = await profilesOf(test.db, [{ snapshotId: published, asOf: new Date(HISTORY[3]!) }]);

    expect(first).toEqual([expect.objectContaining({ members: 100 })]);
    expect((await stored()).rows).toEqual(first);
    expect(again.get(published)?.buckets.plan).toEqual({ free: 80, pro: 20 });
  });

  it('profiles RFM as quintiles of the engine’s rfm_score among all customers at each asOf', async () => {
    const rfm = checkOf((await reportOf('plan-mix')).checks, 'drift', 'rfm');

    // Before: the 20 payers share one score (quintile 5). Now: 60 paid $50 (rfm_m 4, quintile 4), 20 paid $100 (quintile 5).
    expect(rfm.details?.buckets).toEqual([
      { bucket: 'none', previous: 80, current: 20 },
      { bucket: 'q4', previous: 0, current: 60 },
      { bucket: 'q5', previous: 20, current: 20 },
    ]);
    expect(rfm.verdict).toBe('fail');
  });
});

describe('definition changes', () => {
  it('warns with the structural diff and the authors of every version since the published one', async () => {
    const report = await reportOf('renamed');
    const change = checkOf(report.checks, 'definition_change');

    expect(report.verdict).toBe('warn');
    expect(report.changedBy).toEqual(['bob', 'cara']);
    expect(change).toMatchObject({
      verdict: 'warn',
      figures: { version: 3, publishedVersion: 1, changes: 3, authors: 'bob, cara' },
    });
    expect(change.details?.diff).toEqual([
      { path: 'checks.allowEmpty', after: true },
      { path: 'name', before: 'renamed', after: 'Renamed cohort' },
      { path: 'rule.trait.in.1', after: 'enterprise' },
    ]);
    expect(change.details?.versions?.map((v) => [v.version, v.author, v.rationale])).toEqual([
      [2, 'bob', 'enterprise too'],
      [3, 'cara', 'a clearer name'],
    ]);
  });

  it('passes every comparative check of a first publish, saying there is no baseline yet', async () => {
    const report = await reportOf('brand-new');

    expect(report).toMatchObject({ verdict: 'pass', comparedTo: null, baseline: { snapshots: 0 }, changedBy: [] });
    for (const name of [
      'size_shift',
      'size_vs_baseline',
      'churn',
      'blast_radius',
      'drift',
      'value_shift',
      'definition_change',
    ]) {
      expect(checkOf(report.checks, name).reason).toBe('first publish: no baseline to compare with yet');
    }
  });
});

describe('what the workflow gets back', () => {
  it('carries the verdicts, only the checks that did not pass as one line each, and the authors', () => {
    const byCohort = Object.fromEntries(payload.map((r) => [r.cohortId, r]));

    expect(payload.map((r) => [r.cohortId, r.verdict])).toEqual([
      ['brand-new', 'pass'],
      ['plan-mix', 'fail'],
      ['renamed', 'warn'],
      ['shrinking', 'fail'],
    ]);
    expect(byCohort['brand-new']!.checks).toEqual([]);
    expect(byCohort.renamed).toMatchObject({
      changedBy: ['bob', 'cara'],
      checks: [expect.objectContaining({ name: 'definition_change', verdict: 'warn' })],
    });
    expect(byCohort.shrinking!.checks.map((c) => c.name)).toEqual([
      'size_shift',
      'size_vs_baseline',
      'churn',
      'blast_radius',
    ]);
    expect(
      payload
        .flatMap((r) => r.checks)
        .every(
          (c) =>
            c.verdict !== 'pass' && Object.keys(c).every((k) => ['name', 'subject', 'verdict', 'reason'].includes(k)),
        ),
    ).toBe(true);
    expect(JSON.stringify(payload).length).toBeLessThan(8_000);
  });

  it('gives the same report when the activity is retried, and keeps the stored one', async () => {
    const before = await storedRows();
    const again = await runActivity({ runId: RUN, snapshotIds: Object.values(snapshots), sources: [CRM_REPORT] });

    expect(again).toEqual(payload);
    expect(await storedRows()).toEqual(before);
  });

  it('stores the run’s data-source verdicts with its report', async () => {
    const report = await runReport(test.db, RUN);

    expect(report).toMatchObject({ runId: RUN, asOf: AS_OF, sources: [CRM_REPORT] });
    expect(report!.cohorts.map((c) => c.cohortId)).toEqual(['brand-new', 'plan-mix', 'renamed', 'shrinking']);
  });

  it('refuses snapshots that are not the run’s own, as an error no retry fixes', async () => {
    await expect(runActivity({ runId: RUN, snapshotIds: ['snap_not_ours'] })).rejects.toMatchObject({
      type: 'InvalidInput',
      nonRetryable: true,
    });
  });
});
