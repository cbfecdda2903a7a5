import { regularizedUpperGamma } from '../../baseline/gamma';
import { solveIncreasing } from './invert';

// The standard normal distribution. erfc(z) = Q(½, z²) for z ≥ 0, so the tails come from the
// regularised incomplete gamma function, which computes each tail directly: Φ(−8) = 6.2e-16 is
// returned as that, not as 1 − 0.999…; a p-value of 1e-20 keeps its digits.

const SQRT_2PI = Math.sqrt(2 * Math.PI);

/** φ(x), the density. */
export const normalPdf = (x: number): number => Math.exp(-0.5 * x * x) / SQRT_2PI;

/** P(Z > x), the upper tail. */
export function normalSf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const tail = 0.5 * regularizedUpperGamma(0.5, 0.5 * x * x);
  return x >= 0 ? tail : 1 - tail;
}

/** Φ(x) = P(Z ≤ x). */
export const normalCdf = (x: number): number => normalSf(-x);

/** The two-sided p-value of a z statistic: P(|Z| ≥ |z|). */
export const twoSidedNormalP = (z: number): number => 2 * normalSf(Math.abs(z));

function checkProbability(p: number, what: string): void {
  if (!(p > 0 && p < 1)) throw new RangeError(`${what} needs a probability strictly between 0 and 1, got ${p}`);
}

/**
 * Φ⁻¹(p). Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4) gives the start; the inversion then
 * refines it to the accuracy of Φ. Upper quantiles are mirrored from the lower tail, where Φ
 * is evaluated without cancellation.
 */
export function normalQuantile(p: number): number {
  checkProbability(p, 'the normal quantile');
  if (p === 0.5) return 0;
  if (p > 0.5) return -normalQuantile(1 - p);
  const t = Math.sqrt(-2 * Math.log(p));
  const start =
    -t + (2.515517 + 0.802853 * t + 0.010328 * t * t) / (1 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t ** 3);
  // Solving ln Φ(x) = ln p keeps the Newton step well scaled deep in the tail.
  return solveIncreasing({
    value: (x) => Math.log(normalCdf(x)),
    slope: (x) => normalPdf(x) / normalCdf(x),
    target: Math.log(p),
    start,
  });
}

/** The z with P(Z > z) = p: the critical value of a one-sided test at level p. */
export const normalUpperQuantile = (p: number): number => -normalQuantile(p);
