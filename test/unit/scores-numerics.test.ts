import { solvePositiveDefinite } from '../../src/scores/numerics/cholesky';
import { HypergeometricSeries, hyp2f1 } from '../../src/scores/numerics/hypergeometric';
import { minimise } from '../../src/scores/numerics/minimise';
import { digamma, lnGamma } from '../../src/scores/numerics/special-functions';

// The numerical pieces the score models stand on, each against a closed form worked out by hand.

const EULER_GAMMA = 0.5772156649015329;

describe('the digamma function ψ', () => {
  it('takes its known values at 1 and ½', () => {
    // ψ(1) = −γ; ψ(½) = −γ − 2 ln 2.
    expect(digamma(1)).toBeCloseTo(-EULER_GAMMA, 14);
    expect(digamma(0.5)).toBeCloseTo(-EULER_GAMMA - 2 * Math.LN2, 14);
  });

  it.each([0.3, 7.5, 42, 1e6])('obeys ψ(x + 1) = ψ(x) + 1/x at x = %p', (x) => {
    expect(digamma(x + 1) - digamma(x)).toBeCloseTo(1 / x, 12);
  });

  it('is the slope of ln Γ', () => {
    const h = 1e-5;
    for (const x of [0.2, 3.7, 55]) expect(digamma(x)).toBeCloseTo((lnGamma(x + h) - lnGamma(x - h)) / (2 * h), 7);
  });

  it('refuses x ≤ 0', () => {
    expect(() => digamma(0)).toThrow(RangeError);
  });
});

describe('the hypergeometric function ₂F₁', () => {
  it('is 1 at z = 0', () => {
    expect(hyp2f1(2.5, -0.4, 3.1, 0)).toBe(1);
  });

  it.each([0.5, 0.95, 0.999])('gives −ln(1 − z) / z for ₂F₁(1, 1; 2; z) at z = %p', (z) => {
    expect(hyp2f1(1, 1, 2, z) / (-Math.log1p(-z) / z)).toBeCloseTo(1, 13);
  });

  it('gives (1 − z)^−a for ₂F₁(a, b; b; z)', () => {
    expect(hyp2f1(2.5, 1.7, 1.7, 0.3) / 0.7 ** -2.5).toBeCloseTo(1, 14);
  });

  it('gives arcsin(z) / z for ₂F₁(½, ½; 3/2; z²)', () => {
    expect(hyp2f1(0.5, 0.5, 1.5, 0.81) / (Math.asin(0.9) / 0.9)).toBeCloseTo(1, 13);
  });

  it('ends after the last term when a is a negative whole number', () => {
    // ₂F₁(−2, b; c; z) = 1 − 2bz/c + b(b + 1)z² / (c(c + 1)); with b = 3, c = 4, z = ½:
    // 1 − ¾ + 12 · ¼ / 20 = 0.4.
    expect(hyp2f1(-2, 3, 4, 0.5)).toBeCloseTo(0.4, 15);
  });

  it('gives the same value from one tabulated series at many z as from fresh ones', () => {
    const series = new HypergeometricSeries(2.1, -0.2, 3.5);
    for (const z of [0.9, 0.1, 0.6]) expect(series.at(z)).toBe(hyp2f1(2.1, -0.2, 3.5, z));
  });

  it('refuses z outside [0, 1) and c a negative whole number', () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(/0 ≤ z < 1/);
    expect(() => hyp2f1(1, 1, -3, 0.5)).toThrow(/undefined for c=-3/);
  });
});

describe('the minimiser', () => {
  it("finds the bottom of Rosenbrock's valley from the textbook start", () => {
    const minimum = minimise(
      ([x, y], g) => {
        g[0] = -2 * (1 - x!) - 400 * x! * (y! - x! * x!);
        g[1] = 200 * (y! - x! * x!);
        return (1 - x!) ** 2 + 100 * (y! - x! * x!) ** 2;
      },
      [-1.2, 1],
    );
    expect(minimum.converged).toBe(true);
    expect(minimum.x[0]).toBeCloseTo(1, 6);
    expect(minimum.x[1]).toBeCloseTo(1, 6);
  });

  it('refuses a start point where the objective is not finite', () => {
    expect(() => minimise(() => NaN, [0])).toThrow(/not finite at the start point/);
  });
});

describe('the positive-definite solver', () => {
  it('solves a 3 × 3 system', () => {
    // H = [[4, 2, 0], [2, 3, 1], [0, 1, 2]], x = (1, −1, 2): g = H x = (2, 1, 3).
    const h = [Float64Array.of(4, 2, 0), Float64Array.of(2, 3, 1), Float64Array.of(0, 1, 2)];
    const x = solvePositiveDefinite(h, Float64Array.of(2, 1, 3));
    [1, -1, 2].forEach((v, i) => expect(x[i]).toBeCloseTo(v, 14));
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(() => solvePositiveDefinite([Float64Array.of(1, 2), Float64Array.of(2, 1)], Float64Array.of(1, 1))).toThrow(
      /not positive definite/,
    );
  });
});
