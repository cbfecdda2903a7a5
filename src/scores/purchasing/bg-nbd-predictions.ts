import { HypergeometricSeries } from '../numerics/hypergeometric';
import type { BgNbdParameters } from './bg-nbd';

// What a fitted BG/NBD model says about one customer with history (x, t_x, T): the chance they
// are still alive, and how many purchases to expect in the next t time units. Closed forms from
// Fader, Hardie & Lee (2005), eqs. (11) and (10).

/** One customer's history: repeat purchases x, recency t_x and age T. */
export interface History {
  frequency: number;
  recency: number;
  age: number;
}

function checkParameters({ r, alpha, a, b }: BgNbdParameters): void {
  if (!(r > 0 && alpha > 0 && a > 0 && b > 0))
    throw new RangeError(`BG/NBD parameters must all be > 0, got r=${r}, alpha=${alpha}, a=${a}, b=${b}`);
  if (a === 1) throw new RangeError('BG/NBD expected purchases are undefined at a = 1 exactly');
}

/**
 * P(alive | x, t_x, T) = 1 / (1 + [x > 0] · a / (b + x − 1) · ((α + T) / (α + t_x))^(r + x)).
 * A customer without a repeat purchase has had no chance to drop out: 1.
 */
export function probabilityAlive({ r, alpha, a, b }: BgNbdParameters, { frequency: x, recency, age }: History): number {
  if (x === 0) return 1;
  const lnOdds = Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + age) - Math.log(alpha + recency));
  return 1 / (1 + Math.exp(lnOdds));
}

/**
 * E[purchases in (T, T + t] | x, t_x, T] for one model, over many customers and horizons:
 *
 *   (a + b + x − 1) / (a − 1) · [1 − ((α + T) / (α + T + t))^(r + x) · ₂F₁(r + x, b + x; a + b + x − 1; z)] · P(alive),
 *   z = t / (α + T + t).
 *
 * The series is taken through Euler's transformation, (1 − z)^(r + x) ₂F₁(r + x, b + x; c; z) =
 * (1 − z)^(a − 1) ₂F₁(a + b − 1 − r, a − 1; c; z): the same value, but its terms shrink like
 * n^−(r + x + 2) instead of growing with x first, so a frequent buyer costs no more than a rare
 * one and nothing overflows. Its coefficients depend on x alone: one table per purchase count.
 */
export class PurchaseForecast {
  private readonly seriesByFrequency: HypergeometricSeries[] = [];

  constructor(readonly parameters: BgNbdParameters) {
    checkParameters(parameters);
  }

  private seriesFor(x: number): HypergeometricSeries {
    const { r, a, b } = this.parameters;
    let series = this.seriesByFrequency[x];
    if (!series) {
      series = new HypergeometricSeries(a + b - 1 - r, a - 1, a + b + x - 1);
      this.seriesByFrequency[x] = series;
    }
    return series;
  }

  /**
   * Expected purchases within each of `horizons` (cumulative), into `out`. Returns the customer's
   * P(alive), which it needs anyway, so a scorer that wants both computes it once.
   */
  cumulativePurchases(history: History, horizons: Float64Array, out: Float64Array): number {
    const { alpha, a, b } = this.parameters;
    const x = history.frequency;
    const series = this.seriesFor(x);
    const alive = probabilityAlive(this.parameters, history);
    const scale = ((a + b + x - 1) / (a - 1)) * alive;
    // (1 − z)^(a − 1) = ((α + T) / (α + T + t))^(a − 1): one logarithm per horizon, not a power.
    const lnStart = Math.log(alpha + history.age);
    for (let i = 0; i < horizons.length; i += 1) {
      const t = horizons[i]!;
      const z = t / (alpha + history.age + t);
      out[i] = scale * (1 - Math.exp((a - 1) * (lnStart - Math.log(alpha + history.age + t))) * series.at(z));
    }
    return alive;
  }
}

/** E[purchases in the next t time units | x, t_x, T]. */
export function expectedPurchases(parameters: BgNbdParameters, history: History, t: number): number {
  const out = new Float64Array(1);
  new PurchaseForecast(parameters).cumulativePurchases(history, Float64Array.of(t), out);
  return out[0]!;
}
