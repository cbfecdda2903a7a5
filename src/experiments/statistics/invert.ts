// Quantiles by inverting a CDF we can evaluate accurately: a bracket, then Newton steps that
// fall back to bisection whenever a step would leave the bracket. Slower than a dedicated
// rational approximation, but it inherits the CDF's accuracy (to the last few ulps) instead of
// an approximation's, and one routine serves the normal, t and chi-square alike.

const MAX_ITERATIONS = 400;
const RELATIVE_TOLERANCE = 2e-16;

export interface MonotoneProblem {
  /** The function to solve `value(x) = target` for; increasing in x. */
  value: (x: number) => number;
  /** Its derivative, for the Newton step. */
  slope: (x: number) => number;
  target: number;
  /** Where to start; the bracket grows from here until it encloses the root. */
  start: number;
  /** Smallest x the function is defined at (0 for chi-square, −∞ otherwise). */
  lowerLimit?: number;
}

function bracket(p: MonotoneProblem): [number, number] {
  const floor = p.lowerLimit ?? -Infinity;
  let lo = p.start;
  let hi = p.start;
  let width = Math.max(1, Math.abs(p.start));
  for (let i = 0; i < 2_000 && p.value(lo) > p.target; i += 1) {
    hi = lo;
    lo = Number.isFinite(floor) ? floor + (lo - floor) / 2 : lo - width;
    width *= 2;
  }
  width = Math.max(1, Math.abs(p.start));
  for (let i = 0; i < 2_000 && p.value(hi) < p.target; i += 1) {
    lo = hi;
    hi += width;
    width *= 2;
  }
  return [lo, hi];
}

/** The x where an increasing function reaches `target`. */
export function solveIncreasing(p: MonotoneProblem): number {
  let [lo, hi] = bracket(p);
  let x = Math.min(Math.max(p.start, lo), hi);
  for (let i = 0; i < MAX_ITERATIONS; i += 1) {
    const gap = p.value(x) - p.target;
    if (gap === 0) return x;
    if (gap < 0) lo = x;
    else hi = x;
    const newton = x - gap / p.slope(x);
    const next = newton > lo && newton < hi && Number.isFinite(newton) ? newton : lo + (hi - lo) / 2;
    if (Math.abs(next - x) <= RELATIVE_TOLERANCE * Math.max(Math.abs(x), Number.MIN_VALUE) || hi - lo === 0)
      return next;
    x = next;
  }
  return x;
}
