// Gauss's hypergeometric function ₂F₁(a, b; c; z) = Σₙ cₙ zⁿ, cₙ = (a)ₙ (b)ₙ / ((c)ₙ n!), the one
// non-elementary piece of the BG/NBD model's expected purchases. Only 0 ≤ z < 1 occurs there
// (z is a share of a time span), where the power series converges; no transformation to other
// regions is needed.

const RELATIVE_TOLERANCE = 1e-15;
const MAX_TERMS = 1_000_000;

/**
 * The power series for one (a, b, c), at as many z as needed. Scoring evaluates it for every
 * customer with the same purchase count at several horizons: the coefficients are tabulated once
 * and each evaluation is a multiply-add per term, no division.
 *
 * When to stop is proved, not guessed. With m ≥ max(−a, −b, 0), the ratio of successive terms is
 * z · (a + m)(b + m) / ((c + m)(m + 1)) = z · (1 + (s m + k) / ((c + m)(m + 1))), s = a + b − c − 1,
 * k = a b − c; for m ≥ n that is at most z · (1 + f · (s⁺ / (n + 1) + k⁺ / (n (n + 1)))) =: ρₙ, with
 * f = 1 when c ≥ 0 and f = 2 once n ≥ 2|c| otherwise. So the rest after term n is at most
 * |term| · ρₙ / (1 − ρₙ), and the sum stops once that is below the tolerance.
 */
export class HypergeometricSeries {
  private coefficients = new Float64Array(64);
  /** growth[n] = ρₙ / z (Infinity before the bound holds). */
  private growth = new Float64Array(64);
  private tabulated = 1;

  constructor(
    readonly a: number,
    readonly b: number,
    readonly c: number,
  ) {
    if (c <= 0 && Number.isInteger(c)) throw new RangeError(`hypergeometric series is undefined for c=${c}`);
    this.coefficients[0] = 1;
    this.growth[0] = Infinity;
  }

  private extend(): void {
    const { a, b, c } = this;
    const size = this.coefficients.length * 2;
    if (size > MAX_TERMS * 2) throw new RangeError(`hypergeometric series did not converge for a=${a}, b=${b}, c=${c}`);
    const coefficients = new Float64Array(size);
    const growth = new Float64Array(size);
    coefficients.set(this.coefficients.subarray(0, this.tabulated));
    growth.set(this.growth.subarray(0, this.tabulated));
    const sPlus = Math.max(a + b - c - 1, 0);
    const kPlus = Math.max(a * b - c, 0);
    const start = Math.max(1, Math.ceil(-a), Math.ceil(-b), c < 0 ? Math.ceil(-2 * c) : 0);
    const factor = c < 0 ? 2 : 1;
    for (let n = this.tabulated; n < size; n += 1) {
      const m = n - 1;
      coefficients[n] = (coefficients[m]! * (a + m) * (b + m)) / ((c + m) * n);
      growth[n] = n < start ? Infinity : 1 + factor * (sPlus / (n + 1) + kPlus / (n * (n + 1)));
    }
    this.coefficients = coefficients;
    this.growth = growth;
    this.tabulated = size;
  }

  /** ₂F₁(a, b; c; z) for 0 ≤ z < 1. */
  at(z: number): number {
    if (!(z >= 0 && z < 1)) throw new RangeError(`hypergeometric series needs 0 ≤ z < 1, got z=${z}`);
    let sum = 1;
    let power = 1;
    // Locals, not fields, in the hot loop; refreshed when the tables grow.
    let { coefficients, growth, tabulated } = this;
    for (let n = 1; ; n += 1) {
      if (n >= tabulated) {
        this.extend();
        ({ coefficients, growth, tabulated } = this);
      }
      power *= z;
      const term = coefficients[n]! * power;
      sum += term;
      const rho = z * growth[n]!;
      if (term === 0 || (rho < 1 && Math.abs(term) * rho <= RELATIVE_TOLERANCE * (1 - rho) * Math.abs(sum))) return sum;
    }
  }
}

/** ₂F₁(a, b; c; z) for 0 ≤ z < 1 by its power series. */
export const hyp2f1 = (a: number, b: number, c: number, z: number): number => new HypergeometricSeries(a, b, c).at(z);
