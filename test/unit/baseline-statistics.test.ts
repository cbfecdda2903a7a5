import {
  chiSquareCdf,
  chiSquarePValue,
  lnGamma,
  regularizedLowerGamma,
  regularizedUpperGamma,
} from '../../src/baseline/gamma';
import {
  chiSquareHomogeneity,
  jaccard,
  median,
  populationStabilityIndex,
  shiftPct,
  summarise,
} from '../../src/baseline/statistics';

// Every expected figure is worked out by hand in the comment next to it.

describe('the regularised incomplete gamma function', () => {
  it('gives the chi-square quantiles of the printed tables', () => {
    // Tables: χ²(0.95; 1) = 3.841, χ²(0.95; 5) = 11.070, χ²(0.99; 15) = 30.578.
    expect(chiSquareCdf(3.84, 1)).toBeCloseTo(0.95, 3);
    expect(chiSquareCdf(11.07, 5)).toBeCloseTo(0.95, 4);
    expect(chiSquareCdf(30.58, 15)).toBeCloseTo(0.99, 4);
    expect(chiSquareCdf(3.841458820694124, 1)).toBeCloseTo(0.95, 12);
  });

  it('matches the closed forms: P(1, x) = 1 − e^−x and P(½, x) = erf(√x)', () => {
    // 1 − e^−2 = 1 − 0.1353352832366127 = 0.8646647167633873; erf(1) = 0.8427007929497149.
    expect(regularizedLowerGamma(1, 2)).toBeCloseTo(0.8646647167633873, 14);
    expect(regularizedLowerGamma(0.5, 1)).toBeCloseTo(0.8427007929497149, 14);
    // Two degrees of freedom: P(X ≥ x) = e^(−x/2); x = 2 ln 1000 = 13.8155 gives 0.001.
    expect(chiSquarePValue(2 * Math.log(1000), 2)).toBeCloseTo(0.001, 15);
  });

  it('keeps a tiny tail instead of rounding it to 0', () => {
    // Three degrees of freedom: Q(3/2, x) = erfc(√x) + 2√(x/π)·e^−x; at x = 100 that is
    // 2.088e-45 + 2 × 5.6419 × 3.7201e-44 = 4.2185e-43.
    expect(chiSquarePValue(200, 3) / 4.2185e-43).toBeCloseTo(1, 4);
  });

  it('adds up: P + Q = 1 on both sides of a + 1', () => {
    for (const [a, x] of [
      [2.5, 1],
      [2.5, 10],
      [50, 45],
      [50, 60],
    ] as const)
      expect(regularizedLowerGamma(a, x) + regularizedUpperGamma(a, x)).toBeCloseTo(1, 14);
  });

  it('knows ln Γ at integers and at ½', () => {
    // Γ(5) = 4! = 24; Γ(½) = √π.
    expect(lnGamma(5)).toBeCloseTo(Math.log(24), 13);
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
  });

  it('refuses arguments outside its domain', () => {
    expect(() => regularizedLowerGamma(0, 1)).toThrow(RangeError);
    expect(() => regularizedUpperGamma(1, -1)).toThrow(RangeError);
  });
});

describe('the Population Stability Index', () => {
  it('is 0 for identical counts, and nearly 0 for the same mix at another size', () => {
    expect(populationStabilityIndex({ a: 10, b: 30 }, { a: 10, b: 30 }).psi).toBe(0);
    // The ½-member smoothing weighs more in the small cohort: 10.5/41 = 0.2561 against
    // 100.5/401 = 0.2506, a PSI of 0.00016, far below any band.
    expect(populationStabilityIndex({ a: 10, b: 30 }, { a: 100, b: 300 }).psi).toBeCloseTo(0.00016, 5);
  });

  it('matches a hand computation with ½-member smoothing', () => {
    // 50/50 → 30/70, two buckets: shares (n + ½) / (100 + 1).
    // before 50.5/101 = 0.5 each; after 30.5/101 = 0.301980, 70.5/101 = 0.698020.
    // PSI = (0.301980 − 0.5) · ln(0.301980 / 0.5) + (0.698020 − 0.5) · ln(0.698020 / 0.5)
    //     = (−0.198020)(−0.504247) + (0.198020)(0.333639) = 0.099851 + 0.066067 = 0.165918
    const { psi, buckets } = populationStabilityIndex({ a: 50, b: 50 }, { a: 30, b: 70 });
    expect(psi).toBeCloseTo(0.165918, 6);
    expect(buckets.map((b) => [b.bucket, b.previous, b.current])).toEqual([
      ['a', 50, 30],
      ['b', 50, 70],
    ]);
  });

  it('stays finite when a bucket is empty on one side', () => {
    // before {a: 10, b: 0}: 10.5/11 = 0.954545, 0.5/11 = 0.045455; after {a: 5, b: 5}: 0.5 each.
    // PSI = (0.5 − 0.954545) · ln(0.5 / 0.954545) + (0.5 − 0.045455) · ln(0.5 / 0.045455)
    //     = (−0.454545)(−0.646627) + (0.454545)(2.397895) = 0.293921 + 1.089952 = 1.383874
    expect(populationStabilityIndex({ a: 10 }, { a: 5, b: 5 }).psi).toBeCloseTo(1.383874, 6);
  });
});

describe('the chi-square test of homogeneity', () => {
  it('matches a hand computation on a 2 × 2 table', () => {
    // [[50, 50], [30, 70]]: column totals 80, 120; N = 200; expected 40 and 60 in each row.
    // χ² = 2 × (10²/40 + 10²/60) = 2 × (2.5 + 1.6667) = 8.3333; df = 1;
    // p = erfc(√(χ²/2)) = erfc(2.0412) = 0.003892; V = √(8.3333 / 200) = 0.204124.
    const t = chiSquareHomogeneity({ a: 50, b: 50 }, { a: 30, b: 70 });
    expect(t.statistic).toBeCloseTo(8.333333, 6);
    expect(t.degreesOfFreedom).toBe(1);
    expect(t.pValue).toBeCloseTo(0.003892, 6);
    expect(t.cramersV).toBeCloseTo(0.204124, 6);
    expect(t.n).toBe(200);
  });

  it('matches a hand computation on three buckets', () => {
    // [[20, 30, 50], [30, 30, 40]]: column totals 50, 60, 90; expected 25, 30, 45 in each row.
    // χ² = 2 × (5²/25 + 0 + 5²/45) = 2 × (1 + 0.5556) = 3.1111; df = 2;
    // p = e^(−χ²/2) = e^(−1.5556) = 0.211072; V = √(3.1111 / 200) = 0.124722.
    const t = chiSquareHomogeneity({ a: 20, b: 30, c: 50 }, { a: 30, b: 30, c: 40 });
    expect(t.statistic).toBeCloseTo(3.111111, 6);
    expect(t.degreesOfFreedom).toBe(2);
    expect(t.pValue).toBeCloseTo(0.211072, 6);
    expect(t.cramersV).toBeCloseTo(0.124722, 6);
  });

  it('leaves out buckets empty on both sides, and tests nothing with one bucket or an empty side', () => {
    expect(chiSquareHomogeneity({ a: 50, b: 50, c: 0 }, { a: 30, b: 70 }).degreesOfFreedom).toBe(1);
    expect(chiSquareHomogeneity({ a: 10 }, { a: 20 })).toEqual({
      statistic: 0,
      degreesOfFreedom: 0,
      pValue: 1,
      cramersV: 0,
      n: 30,
    });
    expect(chiSquareHomogeneity({}, { a: 20, b: 5 })).toMatchObject({ statistic: 0, pValue: 1 });
  });
});

describe('membership and size figures', () => {
  it('computes Jaccard as shared over either', () => {
    // 60 shared of 100 and 80: union 100 + 80 − 60 = 120; 60 / 120 = 0.5.
    expect(jaccard(60, 100, 80)).toBe(0.5);
    expect(jaccard(0, 0, 0)).toBe(1);
    expect(jaccard(0, 5, 0)).toBe(0);
  });

  it('summarises a trailing baseline with its median', () => {
    // 100, 90, 110, 130 sorted: 90, 100, 110, 130; median (100 + 110) / 2 = 105; mean 430 / 4 = 107.5.
    expect(summarise([100, 90, 110, 130])).toEqual({ n: 4, median: 105, mean: 107.5, min: 90, max: 130 });
    expect(median([3, 1, 2])).toBe(2);
    expect(summarise([])).toBeNull();
  });

  it('measures a shift against the earlier figure, growth from nothing as 100%', () => {
    expect(shiftPct(75, 100)).toBe(25);
    expect(shiftPct(5, 0)).toBe(100);
    expect(shiftPct(0, 0)).toBe(0);
  });
});
