import fixture from '../fixtures/reference/experiments.json';
import { reallocate, probabilityBest } from '../../src/experiments/adaptive-allocation';
import { initialAllocation } from '../../src/experiments/assignment';
import { ExperimentDefinition } from '../../src/experiments/experiment';
import { betaDraw, gammaDraw, seededRandom } from '../../src/experiments/random';
import { regularizedBeta } from '../../src/experiments/statistics/incomplete-beta';

const experiment = (adaptive: object = {}) =>
  ExperimentDefinition.parse({
    id: 'winback-email',
    cohort: 'at-risk-paid',
    hypothesis: 'A win-back e-mail brings customers back.',
    owner: 'customer-success',
    salt: 'wb-2026-11-Xk3v9QpL',
    arms: [
      { id: 'holdout', share: 0.1, holdout: true },
      { id: 'plain', share: 0.3 },
      { id: 'discount', share: 0.3 },
      { id: 'gift', share: 0.3, floor: 0.15 },
    ],
    kpi: { kind: 'conversion', event: 'purchase', withinDays: 30 },
    adaptive: { floor: 0.05, draws: 5_000, warmup: 100, ...adaptive },
  });

const outcomes = [
  { arm: 'plain', successes: 40, failures: 460 },
  { arm: 'discount', successes: 70, failures: 430 },
  { arm: 'gift', successes: 45, failures: 455 },
];

describe('the seeded random source', () => {
  it('repeats its sequence for the same seed and not for another', () => {
    const a = seededRandom('winback-email:refresh-monthly-2026-12');
    const b = seededRandom('winback-email:refresh-monthly-2026-12');
    const c = seededRandom('winback-email:refresh-monthly-2027-01');
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(Array.from({ length: 5 }, c)).not.toEqual(first);
  });

  it('stays in [0, 1) with mean ½ and variance 1/12', () => {
    const random = seededRandom('uniform');
    const n = 200_000;
    let sum = 0;
    let squares = 0;
    let outside = 0;
    for (let i = 0; i < n; i += 1) {
      const u = random();
      if (!(u >= 0 && u < 1)) outside += 1;
      sum += u;
      squares += u * u;
    }
    expect(outside).toBe(0);
    // Standard errors: √(1/12/n) = 0.00065 for the mean, ~0.0002 for the variance.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(4 * 0.00065);
    expect(Math.abs(squares / n - (sum / n) ** 2 - 1 / 12)).toBeLessThan(0.001);
  });
});

describe('the Beta and Gamma samplers', () => {
  it.each([
    [3, 7],
    [1, 1],
    [0.5, 2],
    [41, 461],
  ])('draw Beta(%d, %d) as its CDF says (Kolmogorov–Smirnov)', (a, b) => {
    const random = seededRandom(`beta-${a}-${b}`);
    const n = 10_000;
    const draws = Array.from({ length: n }, () => betaDraw(a, b, random)).sort((x, y) => x - y);
    let distance = 0;
    draws.forEach((x, i) => {
      const cdf = regularizedBeta(x, a, b);
      distance = Math.max(distance, Math.abs(cdf - i / n), Math.abs(cdf - (i + 1) / n));
    });
    // The 1% critical value of the KS distance: 1.63 / √n.
    expect(distance).toBeLessThan(1.63 / Math.sqrt(n));
  });

  it('draws Gamma(shape) with mean and variance equal to its shape', () => {
    const random = seededRandom('gamma');
    for (const shape of [0.3, 2, 50]) {
      const n = 50_000;
      const draws = Array.from({ length: n }, () => gammaDraw(shape, random));
      const mean = draws.reduce((s, x) => s + x, 0) / n;
      expect(Math.abs(mean - shape)).toBeLessThan(4 * Math.sqrt(shape / n));
    }
  });
});

describe('the probability that each arm is best', () => {
  it.each(fixture.probability_best)('matches numerical integration for $arms', ({ arms, probability_best }) => {
    const draws = 20_000;
    const estimate = probabilityBest(
      arms.map((a, i) => ({ arm: `arm${i}`, ...a })),
      draws,
      seededRandom('probability-best'),
    );
    estimate.forEach((p, i) => {
      const exact = probability_best[i]!;
      // Monte Carlo: within four standard errors of the exact value (SciPy's quadrature).
      expect(Math.abs(p - exact)).toBeLessThanOrEqual(4 * Math.sqrt((exact * (1 - exact)) / draws) + 1e-12);
    });
  });
});

describe('reallocating by Thompson sampling', () => {
  it('moves share to the arm most likely to be best, above every floor, and leaves the holdout alone', () => {
    const e = experiment();
    const { allocation, evidence } = reallocate(e, initialAllocation(e), outcomes, seededRandom('realloc-1'));
    const share = Object.fromEntries(allocation.arms.map((a) => [a.arm, a.share]));
    expect(allocation.version).toBe(2);
    expect(share.holdout).toBe(0.1);
    expect(allocation.arms.reduce((s, a) => s + a.share, 0)).toBeCloseTo(1, 14);
    expect(share.discount).toBeGreaterThan(0.5);
    expect(share.plain).toBeGreaterThanOrEqual(0.05);
    expect(share.gift).toBeGreaterThanOrEqual(0.15);
    expect(evidence.decision).toBe('reallocated');
    expect(evidence.arms.map((a) => [a.arm, a.successes, a.failures, a.previousShare])).toEqual([
      ['plain', 40, 460, 0.3],
      ['discount', 70, 430, 0.3],
      ['gift', 45, 455, 0.3],
    ]);
    expect(evidence.arms[1]!.posteriorMean).toBeCloseTo(71 / 502, 15);
    expect(evidence.arms.reduce((s, a) => s + a.probabilityBest, 0)).toBeCloseTo(1, 12);
    expect(evidence.holdout).toEqual({ arm: 'holdout', share: 0.1 });
  });

  it('gives the same allocation for the same seed, so a recorded reallocation can be recomputed', () => {
    const e = experiment();
    const once = reallocate(e, initialAllocation(e), outcomes, seededRandom('run-42'));
    const twice = reallocate(e, initialAllocation(e), outcomes, seededRandom('run-42'));
    expect(twice).toEqual(once);
  });

  it('keeps the shares while an arm has fewer measured members than the warm-up asks', () => {
    const e = experiment({ warmup: 501 });
    const before = initialAllocation(e);
    const { allocation, evidence } = reallocate(e, before, outcomes, seededRandom('warm'));
    expect(allocation).toEqual(before);
    expect(evidence.decision).toBe('warming-up');
    expect(evidence.arms.map((a) => a.share)).toEqual([0.3, 0.3, 0.3]);
  });

  it('splits evenly above the floors when the arms look alike', () => {
    const e = experiment();
    const same = ['plain', 'discount', 'gift'].map((arm) => ({ arm, successes: 50, failures: 450 }));
    const { allocation } = reallocate(e, initialAllocation(e), same, seededRandom('alike'));
    // Spare = 1 − 0.1 − (0.05 + 0.05 + 0.15) = 0.65, a third each: 0.2667, 0.2667, 0.3667 ± noise.
    const share = Object.fromEntries(allocation.arms.map((a) => [a.arm, a.share]));
    expect(share.plain).toBeCloseTo(0.05 + 0.65 / 3, 1);
    expect(share.gift).toBeCloseTo(0.15 + 0.65 / 3, 1);
  });

  it('refuses outcomes for the holdout or an unknown arm', () => {
    const e = experiment();
    expect(() =>
      reallocate(e, initialAllocation(e), [{ arm: 'holdout', successes: 1, failures: 1 }], seededRandom('x')),
    ).toThrow('reallocation: "holdout" is not a non-holdout arm of experiment winback-email');
  });
});
