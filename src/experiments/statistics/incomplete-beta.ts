import { lnGamma } from '../../baseline/gamma';

// The regularised incomplete beta function I_x(a, b), behind the t distribution's tails.
//
// ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b) loses digits when a is large: ln Γ(50 000) is
// 4.9e5, so the difference of two such numbers keeps only ~10 significant figures of what is
// left. For a ≥ 10 we use Stirling's series in a form where every term is of the size of the
// answer (log1p of the ratio), so a Welch test with 10⁶ degrees of freedom keeps full precision.
//
// I_x(a, b) itself is the continued fraction of Numerical Recipes (3rd ed., §6.4), evaluated
// with the modified Lentz method on whichever side converges fast; the caller passes y = 1 − x
// computed without cancellation (for the t distribution y = t² / (ν + t²)), and each tail is
// computed directly rather than as 1 minus the other.

const EPSILON = 1e-16;
const TINY = 1e-300;
const MAX_ITERATIONS = 100_000;
const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * ln Γ(x) − ((x − ½) ln x − x + ½ ln 2π), Stirling's remainder, for x ≥ 10. Terms up to
 * B₁₂ / (12·11·x¹¹); the next is below 1e-15 at x = 10.
 */
function stirlingRemainder(x: number): number {
  const x2 = 1 / (x * x);
  return (
    (1 / x) * (1 / 12 - x2 * (1 / 360 - x2 * (1 / 1260 - x2 * (1 / 1680 - x2 * (1 / 1188 - x2 * (691 / 360360))))))
  );
}

/** ln B(a, b) for a, b > 0. */
export function lnBeta(a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`ln B(a, b) needs a, b > 0, got a=${a}, b=${b}`);
  const small = Math.min(a, b);
  const big = Math.max(a, b);
  const sum = a + b;
  if (big < 10) return lnGamma(a) + lnGamma(b) - lnGamma(sum);
  if (small >= 10)
    return (
      HALF_LN_2PI +
      (small - 0.5) * Math.log(small / sum) +
      (big - 0.5) * Math.log1p(-small / sum) -
      0.5 * Math.log(sum) +
      stirlingRemainder(small) +
      stirlingRemainder(big) -
      stirlingRemainder(sum)
    );
  // ln Γ(big) − ln Γ(big + small) by Stirling, with the large terms cancelled analytically.
  const ratio =
    (big - 0.5) * Math.log1p(-small / sum) -
    small * Math.log(sum) +
    small +
    stirlingRemainder(big) -
    stirlingRemainder(sum);
  return lnGamma(small) + ratio;
}

/** The continued fraction for I_x(a, b) · a · B(a, b) / (x^a y^b); converges fast for x < (a + 1)/(a + b + 2). */
function continuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITERATIONS; m += 1) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < EPSILON) return h;
  }
  throw new Error(`incomplete beta continued fraction did not converge for a=${a}, b=${b}, x=${x}`);
}

/**
 * x^a y^b / (a B(a, b)), in logs so large a, b neither overflow nor underflow early. ln x is
 * taken as log1p(−y) when x is near 1: with a = 5·10⁵, one rounding in x would otherwise cost
 * 5e-11 of relative accuracy.
 */
function front(a: number, b: number, x: number, y: number): number {
  const lnX = x < 0.5 ? Math.log(x) : Math.log1p(-y);
  const lnY = y < 0.5 ? Math.log(y) : Math.log1p(-x);
  return Math.exp(a * lnX + b * lnY - lnBeta(a, b) - Math.log(a));
}

export interface BetaTails {
  /** I_x(a, b) = P(X ≤ x) for X ~ Beta(a, b). */
  lower: number;
  /** 1 − I_x(a, b) = P(X > x). */
  upper: number;
}

/**
 * Both tails of Beta(a, b) at x, where y = 1 − x is passed in so that callers who know it
 * exactly (t² / (ν + t²)) do not lose it to rounding.
 */
export function betaTails(a: number, b: number, x: number, y: number = 1 - x): BetaTails {
  if (!(a > 0 && b > 0) || !(x >= 0 && x <= 1) || !(y >= 0 && y <= 1))
    throw new RangeError(`the incomplete beta needs a, b > 0 and 0 ≤ x ≤ 1, got a=${a}, b=${b}, x=${x}`);
  if (x === 0) return { lower: 0, upper: 1 };
  if (y === 0) return { lower: 1, upper: 0 };
  if (x < (a + 1) / (a + b + 2)) {
    const lower = front(a, b, x, y) * continuedFraction(a, b, x);
    return { lower, upper: 1 - lower };
  }
  const upper = front(b, a, y, x) * continuedFraction(b, a, y);
  return { lower: 1 - upper, upper };
}

/** I_x(a, b), the regularised incomplete beta function. */
export const regularizedBeta = (x: number, a: number, b: number): number => betaTails(a, b, x).lower;
