import type { BgNbdParameters } from './bg-nbd';
import { PurchaseForecast, type History } from './bg-nbd-predictions';
import { expectedMeanSpend, type GammaGammaParameters } from './gamma-gamma';
import { checkHorizon, discountedValue, monthEnds, type LifetimeValueHorizon } from './lifetime-value';
import { checkSpendHistories, type SpendHistories } from './purchase-history';

// Every purchasing score of many customers at once, over typed columns: what the worker runs
// on each batch it streams from Postgres. One pass per customer; the hypergeometric series is
// shared between the purchase horizon and every month of the lifetime-value horizon.

export interface PurchasingModels {
  bgNbd: BgNbdParameters;
  gammaGamma: GammaGammaParameters;
}

export interface ScoringHorizons {
  /** Expected purchases are counted over the next this-many time units (days in cohortflow). */
  purchasesWithin: number;
  lifetimeValue: LifetimeValueHorizon;
}

/** Per customer, in the order of the histories. */
export interface PurchasingScores {
  probabilityAlive: Float64Array;
  expectedPurchases: Float64Array;
  /** Expected value of each future purchase. */
  expectedSpend: Float64Array;
  lifetimeValue: Float64Array;
}

export function scorePurchasing(
  models: PurchasingModels,
  histories: SpendHistories,
  horizons: ScoringHorizons,
): PurchasingScores {
  checkSpendHistories(histories);
  checkHorizon(horizons.lifetimeValue);
  if (!(horizons.purchasesWithin > 0 && Number.isFinite(horizons.purchasesWithin)))
    throw new RangeError(`purchasesWithin must be finite and > 0, got ${horizons.purchasesWithin}`);
  const n = histories.frequency.length;
  const scores: PurchasingScores = {
    probabilityAlive: new Float64Array(n),
    expectedPurchases: new Float64Array(n),
    expectedSpend: new Float64Array(n),
    lifetimeValue: new Float64Array(n),
  };
  const months = horizons.lifetimeValue.months;
  const times = new Float64Array(months + 1);
  times.set(monthEnds(horizons.lifetimeValue));
  times[months] = horizons.purchasesWithin;
  const expected = new Float64Array(months + 1);
  const forecast = new PurchaseForecast(models.bgNbd);
  const history: History = { frequency: 0, recency: 0, age: 0 };
  for (let i = 0; i < n; i += 1) {
    history.frequency = histories.frequency[i]!;
    history.recency = histories.recency[i]!;
    history.age = histories.age[i]!;
    scores.probabilityAlive[i] = forecast.cumulativePurchases(history, times, expected);
    const spend = expectedMeanSpend(models.gammaGamma, history.frequency, histories.meanSpend[i]!);
    scores.expectedPurchases[i] = expected[months]!;
    scores.expectedSpend[i] = spend;
    scores.lifetimeValue[i] = discountedValue(spend, expected, horizons.lifetimeValue.monthlyDiscountRate, months);
  }
  return scores;
}
