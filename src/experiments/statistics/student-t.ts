import { betaTails, lnBeta } from './incomplete-beta';
import { solveIncreasing } from './invert';
import { normalQuantile } from './normal';

// Student's t distribution with ν degrees of freedom (any real ν > 0: Welch's test gives
// fractional ones). P(|T| ≥ t) = I_{ν/(ν+t²)}(ν/2, ½), and the complement side is computed
// from y = t²/(ν + t²) directly, so neither a tiny p-value nor a t near 0 loses digits.

function checkDf(df: number): void {
  if (!(df > 0) || !Number.isFinite(df)) throw new RangeError(`the t distribution needs df > 0, got ${df}`);
}

/** P(|T| ≥ |t|): the two-sided p-value of a t statistic. */
export function twoSidedTP(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) return NaN;
  if (!Number.isFinite(t)) return 0;
  const t2 = t * t;
  return betaTails(df / 2, 0.5, df / (df + t2), t2 / (df + t2)).lower;
}

/** P(T > t). */
export function studentTSf(t: number, df: number): number {
  const half = 0.5 * twoSidedTP(t, df);
  return t >= 0 ? half : 1 - half;
}

/** P(T ≤ t). */
export const studentTCdf = (t: number, df: number): number => studentTSf(-t, df);

/** The density: (1 + t²/ν)^(−(ν+1)/2) / (√ν · B(ν/2, ½)). */
export function studentTPdf(t: number, df: number): number {
  checkDf(df);
  return Math.exp(-((df + 1) / 2) * Math.log1p((t * t) / df) - 0.5 * Math.log(df) - lnBeta(df / 2, 0.5));
}

/** The p-quantile of t with ν degrees of freedom, by inverting the CDF from the normal quantile. */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df);
  if (!(p > 0 && p < 1)) throw new RangeError(`the t quantile needs a probability strictly between 0 and 1, got ${p}`);
  if (p === 0.5) return 0;
  if (p > 0.5) return -studentTQuantile(1 - p, df);
  return solveIncreasing({
    value: (t) => Math.log(studentTCdf(t, df)),
    slope: (t) => studentTPdf(t, df) / studentTCdf(t, df),
    target: Math.log(p),
    start: normalQuantile(p),
  });
}
