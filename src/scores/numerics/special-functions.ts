import { lnGamma } from '../../baseline/gamma';

// The special functions the purchasing models need: ln Γ for their likelihoods and ψ (the
// digamma function, d/dx ln Γ) for the likelihoods' gradients. ln Γ is the baseline checks'
// Lanczos approximation (absolute error below 1e-15), shared rather than written twice.

export { lnGamma };

/** Below this, ψ is moved up by ψ(x) = ψ(x + 1) − 1/x before the asymptotic series is used. */
const ASYMPTOTIC_FROM = 10;

/**
 * ψ(x) for x > 0. From x ≥ 10 the asymptotic series ln x − 1/(2x) − Σ B₂ₖ / (2k x²ᵏ) to the
 * x⁻¹² term, whose first omitted term is below 2e-14 there; smaller x are shifted up first.
 */
export function digamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`digamma needs a finite x > 0, got ${x}`);
  let shift = 0;
  while (x < ASYMPTOTIC_FROM) {
    shift -= 1 / x;
    x += 1;
  }
  const f = 1 / (x * x);
  // Bernoulli terms: 1/12, −1/120, 1/252, −1/240, 1/132, −691/32760.
  const tail = f * (1 / 12 - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132 - f * (691 / 32760))))));
  return shift + Math.log(x) - 0.5 / x - tail;
}
