import type { BgNbdParameters } from './bg-nbd';
import { PurchaseForecast, type History } from './bg-nbd-predictions';

// Customer lifetime value over a horizon of whole months, discounted month by month. The
// convention is the one of the `lifetimes` Python package's customer_lifetime_value, so the
// figures can be checked against it:
//
//   CLV = Σ_{k=1..H} E[M] · (E[X(k·u)] − E[X((k−1)·u)]) / (1 + d)^k
//
// with H months, u time units per month (30 for days, as `lifetimes` counts a month), d the
// monthly discount rate, E[X(t)] the customer's expected purchases in the next t units and E[M]
// their expected spend per purchase. Each month's purchases are discounted at its end.

export interface LifetimeValueHorizon {
  /** H: whole months ahead. */
  months: number;
  /** d: the discount rate per month, e.g. 0.01 (≈ 12.7 % a year). */
  monthlyDiscountRate: number;
  /** u: the histories' time units in a month; 30 when they count days. */
  timeUnitsPerMonth: number;
}

export function checkHorizon({ months, monthlyDiscountRate, timeUnitsPerMonth }: LifetimeValueHorizon): void {
  if (!(Number.isInteger(months) && months >= 1))
    throw new RangeError(`lifetime value: months must be a whole number ≥ 1, got ${months}`);
  if (!(monthlyDiscountRate >= 0 && Number.isFinite(monthlyDiscountRate)))
    throw new RangeError(`lifetime value: monthlyDiscountRate must be finite and ≥ 0, got ${monthlyDiscountRate}`);
  if (!(timeUnitsPerMonth > 0 && Number.isFinite(timeUnitsPerMonth)))
    throw new RangeError(`lifetime value: timeUnitsPerMonth must be finite and > 0, got ${timeUnitsPerMonth}`);
}

/** The month ends k·u, k = 1…H, as horizons for PurchaseForecast.cumulativePurchases. */
export const monthEnds = ({ months, timeUnitsPerMonth }: LifetimeValueHorizon): Float64Array =>
  Float64Array.from({ length: months }, (_, k) => (k + 1) * timeUnitsPerMonth);

/** The discounted sum, given E[X] (cumulative) at each of the first `months` month ends. */
export function discountedValue(
  expectedSpend: number,
  cumulativePurchases: Float64Array,
  monthlyDiscountRate: number,
  months = cumulativePurchases.length,
): number {
  let value = 0;
  let previous = 0;
  let discount = 1;
  for (let k = 0; k < months; k += 1) {
    discount /= 1 + monthlyDiscountRate;
    value += (cumulativePurchases[k]! - previous) * discount;
    previous = cumulativePurchases[k]!;
  }
  return expectedSpend * value;
}

/** One customer's lifetime value over the horizon, given their expected spend per purchase. */
export function lifetimeValue(
  parameters: BgNbdParameters,
  history: History,
  expectedSpend: number,
  horizon: LifetimeValueHorizon,
): number {
  checkHorizon(horizon);
  const cumulative = new Float64Array(horizon.months);
  new PurchaseForecast(parameters).cumulativePurchases(history, monthEnds(horizon), cumulative);
  return discountedValue(expectedSpend, cumulative, horizon.monthlyDiscountRate);
}
