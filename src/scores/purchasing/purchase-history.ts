// What the purchasing models know of a customer: the summary of their transactions as of one
// point in time, in the convention of Fader, Hardie & Lee. Time is counted in whole days in
// cohortflow (the models accept any unit, as long as every figure and horizon uses the same).

/** Per-customer columns, one entry per customer, all of the same length. */
export interface PurchaseHistories {
  /** x: repeat purchases, i.e. days with a purchase after the first one. */
  frequency: Float64Array;
  /** t_x: time from the first purchase to the last one (0 without a repeat purchase). */
  recency: Float64Array;
  /** T: time from the first purchase to asOf. */
  age: Float64Array;
}

/** Purchase histories with the mean value of each customer's repeat purchases (0 when x = 0). */
export interface SpendHistories extends PurchaseHistories {
  meanSpend: Float64Array;
}

/**
 * Refuses histories the models cannot read, naming the first bad customer (by position) and the
 * rule broken, so a bad extraction fails loudly instead of skewing a fit.
 */
export function checkPurchaseHistories(histories: PurchaseHistories): void {
  const { frequency, recency, age } = histories;
  const n = frequency.length;
  if (recency.length !== n || age.length !== n)
    throw new RangeError(
      `purchase histories: columns differ in length (frequency ${n}, recency ${recency.length}, age ${age.length})`,
    );
  for (let i = 0; i < n; i += 1) {
    const x = frequency[i]!;
    const tx = recency[i]!;
    const T = age[i]!;
    const where = `purchase histories, customer #${i} (frequency ${x}, recency ${tx}, age ${T})`;
    if (!(Number.isInteger(x) && x >= 0)) throw new RangeError(`${where}: frequency must be a whole number ≥ 0`);
    if (!(T >= 0 && Number.isFinite(T))) throw new RangeError(`${where}: age must be finite and ≥ 0`);
    if (!(tx >= 0 && tx <= T)) throw new RangeError(`${where}: recency must lie between 0 and the age`);
    if (x === 0 && tx !== 0) throw new RangeError(`${where}: recency must be 0 without a repeat purchase`);
  }
}

/** As checkPurchaseHistories, and every repeat buyer's mean spend must be positive. */
export function checkSpendHistories(histories: SpendHistories): void {
  checkPurchaseHistories(histories);
  const { frequency, meanSpend } = histories;
  if (meanSpend.length !== frequency.length)
    throw new RangeError(
      `spend histories: meanSpend has ${meanSpend.length} entries for ${frequency.length} customers`,
    );
  for (let i = 0; i < frequency.length; i += 1)
    if (frequency[i]! > 0 && !(meanSpend[i]! > 0 && Number.isFinite(meanSpend[i]!)))
      throw new RangeError(
        `spend histories, customer #${i} (frequency ${frequency[i]}, meanSpend ${meanSpend[i]}): a repeat buyer's mean spend must be finite and > 0`,
      );
}

/** One purchase: the day it happened on (any day numbering, e.g. days since 1970) and its value. */
export interface Purchase {
  day: number;
  value: number;
}

export interface CustomerSummary {
  frequency: number;
  recency: number;
  age: number;
  meanSpend: number;
}

/**
 * One customer's summary as of `asOfDay` from their purchases up to it. Purchases on the same day
 * are one purchase of their summed value (the models count purchase occasions); the first day is
 * the customer's "birth" and not a repeat, so its value is left out of the mean spend.
 */
export function summarisePurchases(purchases: readonly Purchase[], asOfDay: number): CustomerSummary | undefined {
  const valueByDay = new Map<number, number>();
  for (const { day, value } of purchases) if (day <= asOfDay) valueByDay.set(day, (valueByDay.get(day) ?? 0) + value);
  if (valueByDay.size === 0) return undefined;
  const days = [...valueByDay.keys()].sort((a, b) => a - b);
  const first = days[0]!;
  const repeats = days.slice(1);
  const repeatValue = repeats.reduce((sum, day) => sum + valueByDay.get(day)!, 0);
  return {
    frequency: repeats.length,
    recency: days[days.length - 1]! - first,
    age: asOfDay - first,
    meanSpend: repeats.length === 0 ? 0 : repeatValue / repeats.length,
  };
}
