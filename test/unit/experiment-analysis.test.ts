import { analyseExperiment, type ArmFigures } from '../../src/experiments/analysis';
import { initialAllocation } from '../../src/experiments/assignment';
import { ExperimentDefinition } from '../../src/experiments/experiment';
import { compareMeans } from '../../src/experiments/statistics/means';
import { compareProportions } from '../../src/experiments/statistics/proportions';

const define = (overrides: object) =>
  ExperimentDefinition.parse({
    id: 'winback-email',
    cohort: 'at-risk-paid',
    hypothesis: 'A win-back e-mail brings customers back.',
    owner: 'customer-success',
    salt: 'wb-2026-11-Xk3v9QpL',
    arms: [
      { id: 'holdout', share: 0.1, holdout: true },
      { id: 'plain', share: 0.45 },
      { id: 'discount', share: 0.45 },
    ],
    kpi: { kind: 'conversion', event: 'purchase', withinDays: 30 },
    ...overrides,
  });

const conversion = define({});
const figures: ArmFigures[] = [
  { arm: 'holdout', assigned: 1_010, measured: 1_000, successes: 50 },
  { arm: 'plain', assigned: 4_480, measured: 4_400, successes: 264 },
  { arm: 'discount', assigned: 4_510, measured: 4_450, successes: 356 },
];
const counts = (perArm: Record<string, number>) => [{ allocation: initialAllocation(conversion), perArm }];

describe('the experiment report', () => {
  it('compares every arm with the holdout on the conversion rate', () => {
    const report = analyseExperiment(conversion, figures, counts({ holdout: 1_010, plain: 4_480, discount: 4_510 }));
    expect(report.control).toBe('holdout');
    expect(report.arms.map((a) => [a.arm, a.holdout, a.value])).toEqual([
      ['holdout', true, 0.05],
      ['plain', false, 0.06],
      ['discount', false, 0.08],
    ]);
    expect(report.comparisons.map((c) => [c.arm, c.against])).toEqual([
      ['plain', 'holdout'],
      ['discount', 'holdout'],
    ]);
    const discount = report.comparisons[1]!;
    expect(discount.figures).toEqual(compareProportions({ n: 1_000, successes: 50 }, { n: 4_450, successes: 356 }));
    expect(report.sampleRatio.mismatch).toBe(false);
    expect(report.cautions).toEqual([]);
  });

  it('adjusts p-values for the number of comparisons (Bonferroni) before calling a result significant', () => {
    const report = analyseExperiment(conversion, figures, counts({ holdout: 1_010, plain: 4_480, discount: 4_510 }));
    const [plain, discount] = report.comparisons;
    expect(plain!.adjustedPValue).toBeCloseTo(Math.min(1, 2 * plain!.figures.pValue!), 15);
    // Plain: 5% → 6%, p ≈ 0.22 alone: not significant. Discount: 5% → 8%, p ≈ 0.001: significant.
    expect(plain!.significant).toBe(false);
    expect(discount!.significant).toBe(true);
  });

  it('flags a broken split and says not to trust the comparisons', () => {
    const report = analyseExperiment(conversion, figures, counts({ holdout: 1_400, plain: 4_300, discount: 4_300 }));
    expect(report.sampleRatio.mismatch).toBe(true);
    expect(report.cautions).toContainEqual(
      expect.stringMatching(/^sample ratio mismatch \(p = .+\): the split is broken/),
    );
  });

  it('checks the split per allocation version after a reallocation, and says the shares changed', () => {
    const v1 = initialAllocation(conversion);
    const v2 = {
      version: 2,
      arms: [
        { arm: 'holdout', share: 0.1 },
        { arm: 'plain', share: 0.2 },
        { arm: 'discount', share: 0.7 },
      ],
    };
    const report = analyseExperiment(conversion, figures, [
      { allocation: v1, perArm: { holdout: 600, plain: 2_700, discount: 2_700 } },
      { allocation: v2, perArm: { holdout: 410, plain: 780, discount: 2_810 } },
    ]);
    expect(report.sampleRatio.degreesOfFreedom).toBe(4);
    expect(report.sampleRatio.mismatch).toBe(false);
    expect(report.cautions).toContain(
      'the allocation changed 1 time(s); comparisons pool members assigned under different shares',
    );
  });

  it("compares revenue per member with Welch's t test", () => {
    const revenue = define({ kpi: { kind: 'revenue', withinDays: 30 } });
    const report = analyseExperiment(
      revenue,
      [
        { arm: 'holdout', assigned: 500, measured: 480, mean: 12.5, variance: 900 },
        { arm: 'plain', assigned: 2_250, measured: 2_200, mean: 14.1, variance: 1_010 },
        { arm: 'discount', assigned: 2_250, measured: 2_190, mean: 13.0, variance: 980 },
      ],
      counts({ holdout: 500, plain: 2_250, discount: 2_250 }),
    );
    expect(report.arms.map((a) => a.value)).toEqual([12.5, 14.1, 13.0]);
    expect(report.comparisons[0]!.figures).toEqual(
      compareMeans({ n: 480, mean: 12.5, variance: 900 }, { n: 2_200, mean: 14.1, variance: 1_010 }),
    );
  });

  it('says when an arm is too small to compare or to trust the approximation', () => {
    const report = analyseExperiment(
      conversion,
      [
        { arm: 'holdout', assigned: 12, measured: 0, successes: 0 },
        { arm: 'plain', assigned: 50, measured: 20, successes: 2 },
        { arm: 'discount', assigned: 51, measured: 21, successes: 3 },
      ],
      counts({ holdout: 12, plain: 50, discount: 51 }),
    );
    expect(report.comparisons).toEqual([]);
    expect(report.arms[0]!.value).toBeNull();
    expect(report.cautions).toEqual([
      'plain against holdout: not enough measured members to compare yet',
      'discount against holdout: not enough measured members to compare yet',
      'holdout has 0 measured members: the normal approximation is rough below 30',
      'plain has 20 measured members: the normal approximation is rough below 30',
      'discount has 21 measured members: the normal approximation is rough below 30',
    ]);
  });

  it('refuses figures for an arm the experiment does not have, or missing ones', () => {
    expect(() => analyseExperiment(conversion, figures.slice(0, 2), counts({}))).toThrow(
      'report: no figures for arm "discount"',
    );
    expect(() =>
      analyseExperiment(conversion, [...figures, { arm: 'sms', assigned: 1, measured: 1, successes: 0 }], counts({})),
    ).toThrow('report: no arm "sms" in experiment winback-email');
  });
});
