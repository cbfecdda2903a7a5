import { chiSquareCdf, chiSquarePValue, lnGamma } from '../../baseline/gamma';
import { solveIncreasing } from './invert';

// The chi-square distribution: its CDF and tail are the regularised incomplete gamma function
// the baseline checks already use; the quantile inverts them.

export { chiSquareCdf, chiSquarePValue };

/** The density x^(k/2−1) e^(−x/2) / (2^(k/2) Γ(k/2)). */
export function chiSquarePdf(x: number, df: number): number {
  if (x <= 0) return 0;
  const k = df / 2;
  return Math.exp((k - 1) * Math.log(x) - x / 2 - k * Math.LN2 - lnGamma(k));
}

/** The p-quantile: the x with P(X ≤ x) = p. Upper quantiles solve on the upper tail, which keeps its digits. */
export function chiSquareQuantile(p: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`the chi-square distribution needs df > 0, got ${df}`);
  if (!(p > 0 && p < 1))
    throw new RangeError(`the chi-square quantile needs a probability strictly between 0 and 1, got ${p}`);
  const start = Math.max(df, 1e-3);
  if (p <= 0.5)
    return solveIncreasing({
      value: (x) => chiSquareCdf(x, df),
      slope: (x) => chiSquarePdf(x, df),
      target: p,
      start,
      lowerLimit: 0,
    });
  // P(X > x) falls as x grows: solve −Q(x) = −(1 − p).
  return solveIncreasing({
    value: (x) => -chiSquarePValue(x, df),
    slope: (x) => chiSquarePdf(x, df),
    target: -(1 - p),
    start,
    lowerLimit: 0,
  });
}
