import { definitionChangeCheck } from '../../src/baseline/definition-checks';
import { definitionDiff } from '../../src/cohorts/definition-diff';
import { chiSquareVerdict, driftCheck, driftChecks, valueShiftCheck } from '../../src/baseline/drift-checks';
import { blastRadiusCheck, churnCheck } from '../../src/baseline/membership-checks';
import type { SnapshotProfile, ValueSummary } from '../../src/baseline/profile';
import { emptyCheck, minSizeCheck, sizeShiftCheck, sizeVsBaselineCheck } from '../../src/baseline/size-checks';
import { populationStabilityIndex } from '../../src/baseline/statistics';
import { thresholdsOf } from '../../src/baseline/thresholds';
import { CohortChecks } from '../../src/cohorts/definition';

// Each check just below, at and just above its thresholds. Defaults: docs/cohorts.md.
const t = thresholdsOf({ minSize: 10 });

describe('the thresholds', () => {
  it('fill in the documented defaults for what a definition leaves out', () => {
    expect(thresholdsOf(undefined)).toEqual({
      minSize: 1,
      sizeShiftWarnPct: 20,
      sizeShiftFailPct: 50,
      allowEmpty: false,
      baselineWindow: 6,
      jaccardWarnBelow: 0.8,
      jaccardFailBelow: 0.5,
      maxRemovalPct: 50,
      driftWarnPsi: 0.1,
      driftFailPsi: 0.25,
      valueShiftWarnPct: 20,
      valueShiftFailPct: 50,
    });
  });

  it('refuse a warning that could never come before its failure, defaults included', () => {
    const issues = (checks: unknown) =>
      CohortChecks.safeParse(checks).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ jaccardWarnBelow: 0.4 })).toEqual([
      'jaccardFailBelow: jaccardFailBelow (0.5) must be at most jaccardWarnBelow (0.4), defaults included',
    ]);
    expect(issues({ driftWarnPsi: 0.3 })).toEqual([
      'driftFailPsi: driftFailPsi (0.25) must be at least driftWarnPsi (0.3), defaults included',
    ]);
    expect(issues({ sizeShiftWarnAbs: 100, sizeShiftFailAbs: 50 })).toHaveLength(1);
    expect(issues({ jaccardWarnBelow: 0.4, jaccardFailBelow: 0.2, sizeShiftWarnAbs: 50 })).toBeUndefined();
  });

  it('refuse unknown fields, so a misspelt threshold never silently does nothing', () => {
    expect(CohortChecks.safeParse({ maxRemovalPercent: 30 }).success).toBe(false);
  });
});

describe('the size checks', () => {
  it('fail one member below the minimum and pass at it', () => {
    expect([9, 10, 11].map((n) => minSizeCheck(n, t).verdict)).toEqual(['fail', 'pass', 'pass']);
  });

  it('fail an empty cohort unless the definition allows it', () => {
    expect(emptyCheck(0, t)).toMatchObject({
      verdict: 'fail',
      reason: 'no members; an empty cohort fails unless its checks say allowEmpty: true',
    });
    expect(emptyCheck(0, thresholdsOf({ allowEmpty: true })).verdict).toBe('pass');
    expect(emptyCheck(1, t).verdict).toBe('pass');
  });

  it('raise the size shift on absolute members too, when the definition sets them', () => {
    const abs = thresholdsOf({
      sizeShiftWarnPct: 20,
      sizeShiftFailPct: 50,
      sizeShiftWarnAbs: 50,
      sizeShiftFailAbs: 100,
    });
    // 1,000 → 1,049 … 1,100: at most 10%, under the percentage thresholds; the members decide.
    expect([1049, 1050, 1051, 1099, 1100, 1101].map((n) => sizeShiftCheck(n, 1000, abs).verdict)).toEqual([
      'pass',
      'warn',
      'warn',
      'warn',
      'fail',
      'fail',
    ]);
    expect(sizeShiftCheck(950, 1000, abs)).toMatchObject({
      figures: { change: -50, shiftPct: 5 },
      thresholds: { warnPct: 20, failPct: 50, warnAbs: 50, failAbs: 100 },
    });
    expect(sizeShiftCheck(950, 1000, abs).reason).toBe(
      'shrank 5% (1000 → 950); warn at 20% or 50 members, fail at 50% or 100 members',
    );
  });

  it('compare with the median of the trailing baseline', () => {
    const sizes = [100, 90, 110]; // median 100
    expect([119, 120, 121, 149, 150, 151].map((n) => sizeVsBaselineCheck(n, sizes, t).verdict)).toEqual([
      'pass',
      'warn',
      'warn',
      'warn',
      'fail',
      'fail',
    ]);
    expect(sizeVsBaselineCheck(80, sizes, t)).toMatchObject({
      verdict: 'warn',
      reason: '80 members is 20% below the median 100 of the last 3 published (90–110); warn at 20%, fail at 50%',
      figures: { size: 80, n: 3, median: 100, mean: 100, min: 90, max: 110, shiftPct: 20 },
      thresholds: { warnPct: 20, failPct: 50, window: 6 },
    });
    expect(sizeVsBaselineCheck(80, [], t)).toMatchObject({
      verdict: 'pass',
      reason: 'first publish: no baseline to compare with yet',
      figures: { n: 0, median: null },
    });
  });
});

describe('the churn check', () => {
  // A new membership of n, all of them among the 100 published: Jaccard = n / 100.
  const kept = (n: number) => churnCheck({ size: n, previousSize: 100, common: n }, t);

  it('warns below 0.8 and fails below 0.5, a Jaccard at the threshold not being below it', () => {
    expect([81, 80, 79, 51, 50, 49].map((n) => kept(n).verdict)).toEqual([
      'pass',
      'pass',
      'warn',
      'warn',
      'warn',
      'fail',
    ]);
  });

  it('says the figure, the thresholds and the moves', () => {
    expect(churnCheck({ size: 110, previousSize: 100, common: 70 }, t)).toMatchObject({
      verdict: 'warn',
      reason:
        'Jaccard 0.5 with the published membership (warn below 0.8, fail below 0.5); +40 / −30 members (40% / 30% of 100)',
      figures: { jaccard: 0.5, adds: 40, removes: 30, addsPct: 40, removesPct: 30 },
    });
  });

  it('passes when the published snapshot was empty or there is none', () => {
    expect(churnCheck({ size: 10, previousSize: 0, common: 0 }, t).verdict).toBe('pass');
    expect(churnCheck(null, t).reason).toBe('first publish: no baseline to compare with yet');
  });
});

describe('the blast-radius breaker', () => {
  const removing = (removes: number) =>
    blastRadiusCheck({ size: 100 - removes, previousSize: 100, common: 100 - removes }, t);

  it('fails above maxRemovalPct of the published members, not at it', () => {
    expect([49, 50, 51].map((n) => removing(n).verdict)).toEqual(['pass', 'pass', 'fail']);
    expect(removing(60).reason).toBe(
      'removes 60 of 100 published members (60%), above the breaker at 50%: always fails',
    );
  });

  it('fails a cohort that emptied, whatever the thresholds and allowEmpty say', () => {
    const lenient = thresholdsOf({ allowEmpty: true, maxRemovalPct: 100, minSize: 0 });
    expect(blastRadiusCheck({ size: 0, previousSize: 10, common: 0 }, lenient)).toMatchObject({
      verdict: 'fail',
      figures: { removes: 10, removedPct: 100 },
    });
    expect(blastRadiusCheck({ size: 0, previousSize: 0, common: 0 }, lenient).verdict).toBe('pass');
  });
});

describe('the drift check', () => {
  // 50/50 → 30/70 of 100 members: PSI 0.165918 (baseline-statistics.test.ts), p = 0.0039.
  const before = { free: 50, pro: 50 };
  const after = { free: 30, pro: 70 };
  const psi = populationStabilityIndex(before, after).psi;
  const at = (warn: number, fail: number) =>
    driftCheck('plan', before, after, { driftWarnPsi: warn, driftFailPsi: fail }).verdict;

  it('warns from driftWarnPsi up: just below it passes, at it and just above it warn', () => {
    expect([at(psi + 1e-9, 1), at(psi, 1), at(psi - 1e-9, 1)]).toEqual(['pass', 'warn', 'warn']);
  });

  it('fails from driftFailPsi up: just below it warns, at it and just above it fail', () => {
    expect([at(0.01, psi + 1e-9), at(0.01, psi), at(0.01, psi - 1e-9)]).toEqual(['warn', 'fail', 'fail']);
  });

  it('states the PSI, its bands, the largest move and the chi-square figures', () => {
    const check = driftCheck('plan', before, after, t);
    expect(check).toMatchObject({
      subject: 'plan',
      verdict: 'warn',
      figures: {
        psi: 0.1659,
        chiSquare: 8.33,
        degreesOfFreedom: 1,
        pValue: 0.00389,
        cramersV: 0.2041,
        largestMove: 'free',
        largestMovePts: -19.8,
      },
    });
    expect(check.reason).toBe(
      "PSI 0.166 of plan against the published members (warn at 0.1, fail at 0.25); largest move free 50% → 30.2%; chi² 8.3 on 1 df, p = 0.0039, Cramér's V 0.204 (warns only when p < 0.001 and V ≥ 0.1)",
    );
  });

  it('lets the chi-square test raise a warning on its own, never a failure', () => {
    // 500/500 → 400/600: PSI 0.040 (pass); χ² = 2 × (50²/450 + 50²/550) = 20.2, p = 7.0e-6, V = √(20.2/2000) = 0.1005.
    expect(driftCheck('plan', { free: 500, pro: 500 }, { free: 400, pro: 600 }, t)).toMatchObject({
      verdict: 'warn',
      figures: { psi: 0.0405, cramersV: 0.1005 },
    });
    expect(
      driftCheck('plan', { free: 500, pro: 500 }, { free: 400, pro: 600 }, { driftWarnPsi: 1, driftFailPsi: 2 })
        .verdict,
    ).toBe('warn');
  });

  it('takes chi-square as a warning only when p < 0.001 and V ≥ 0.1', () => {
    expect(chiSquareVerdict({ pValue: 0.000999, cramersV: 0.1 })).toBe('warn');
    expect(chiSquareVerdict({ pValue: 0.001, cramersV: 0.9 })).toBe('pass');
    expect(chiSquareVerdict({ pValue: 1e-12, cramersV: 0.0999 })).toBe('pass');
  });

  it('checks every key attribute, or passes once when there is nothing to compare', () => {
    const profile = (members: number): SnapshotProfile => ({
      snapshotId: 's',
      members,
      buckets: { plan: { free: members }, country: { DE: members }, lifecycle_stage: {}, tenure: {}, rfm: {} },
      value: { mean: null, median: null, p25: null, p75: null, min: null, max: null },
    });
    expect(driftChecks(profile(10), profile(12), t).map((c) => c.subject)).toEqual([
      'plan',
      'country',
      'lifecycle_stage',
      'tenure',
      'rfm',
    ]);
    expect(driftChecks(null, profile(12), t)).toEqual([
      expect.objectContaining({ verdict: 'pass', reason: 'first publish: no baseline to compare with yet' }),
    ]);
    expect(driftChecks(profile(0), profile(12), t)).toEqual([
      expect.objectContaining({
        verdict: 'pass',
        reason: 'no distribution to compare: 0 published and 12 new members',
      }),
    ]);
  });
});

describe('the value shift check', () => {
  const value = (mean: number, median: number): ValueSummary => ({
    mean,
    median,
    p25: null,
    p75: null,
    min: null,
    max: null,
  });
  const published = value(100, 100);

  it('warns from valueShiftWarnPct and fails from valueShiftFailPct, on the mean', () => {
    expect([119, 120, 121, 149, 150, 151].map((m) => valueShiftCheck(published, value(m, 100), t).verdict)).toEqual([
      'pass',
      'warn',
      'warn',
      'warn',
      'fail',
      'fail',
    ]);
  });

  it('and on the median, whichever moved more', () => {
    expect([81, 80, 51, 50].map((m) => valueShiftCheck(published, value(100, m), t).verdict)).toEqual([
      'pass',
      'warn',
      'warn',
      'fail',
    ]);
    expect(valueShiftCheck(published, value(100, 50), t).reason).toBe(
      'mean value $100.00 → $100.00 (+0%), median $100.00 → $50.00 (−50%) (90-day monetary, USD); warn at 20%, fail at 50%',
    );
  });

  it('passes the first publish and an empty side', () => {
    expect(valueShiftCheck(null, value(1, 1), t).reason).toBe('first publish: no baseline to compare with yet');
    expect(valueShiftCheck({ ...published, mean: null, median: null }, value(1, 1), t).verdict).toBe('pass');
  });
});

describe('the definition change check', () => {
  const history = {
    version: 3,
    publishedVersion: 1,
    diff: definitionDiff(
      { name: 'a', rule: { trait: { in: ['pro'] } } },
      { name: 'b', rule: { trait: { in: ['pro', 'enterprise'] } } },
    ),
    versions: [
      { version: 2, author: 'bob', change: 'update', rationale: 'x' },
      { version: 3, author: 'cara', change: 'update', rationale: 'y' },
    ],
  };

  it('warns on a new version, naming what changed and who changed it', () => {
    expect(definitionChangeCheck(3, 1, history)).toMatchObject({
      verdict: 'warn',
      reason:
        'definition version 3 differs from the published version 1: 2 change(s) (name, rule.trait.in.1) by bob, cara',
      figures: { version: 3, publishedVersion: 1, changes: 2, authors: 'bob, cara' },
    });
  });

  it('passes the same version and the first publish', () => {
    expect(definitionChangeCheck(2, 2, null).verdict).toBe('pass');
    expect(definitionChangeCheck(1, null, null).reason).toBe('first publish: no baseline to compare with yet');
  });
});

describe('the definition diff', () => {
  it('lists changed leaves and added or removed subtrees by path, in key order', () => {
    const before = {
      name: 'Payers',
      rule: {
        all: [{ trait: { name: 'plan', in: ['pro'] } }, { event: { type: 'login', within: '7d', count: { gte: 3 } } }],
      },
      checks: { minSize: 1 },
    };
    const after = {
      name: 'Payers',
      rule: {
        all: [
          { trait: { name: 'plan', in: ['pro'] } },
          { event: { type: 'login', within: '7d', count: { gte: 5 } } },
          { in_cohort: 'x' },
        ],
      },
      checks: { minSize: 1, allowEmpty: true },
    };
    expect(definitionDiff(before, after)).toEqual([
      { path: 'checks.allowEmpty', after: true },
      { path: 'rule.all.1.event.count.gte', before: 3, after: 5 },
      { path: 'rule.all.2', after: { in_cohort: 'x' } },
    ]);
  });

  it('finds nothing between equal definitions whatever their key order', () => {
    expect(definitionDiff({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 })).toEqual([]);
  });

  it('reports a value whose kind changed, and a whole definition that appeared', () => {
    expect(definitionDiff({ rule: { any: [] } }, { rule: 'x' })).toEqual([
      { path: 'rule', before: { any: [] }, after: 'x' },
    ]);
    expect(definitionDiff(null, { id: 'x' })).toEqual([{ path: '(definition)', before: null, after: { id: 'x' } }]);
  });
});
