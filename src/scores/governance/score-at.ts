import type { Queryable } from '../../data/db';
import type { ReadPath, ScoreValues } from '../../cohorts/measures-sql';
import type { ModelKind } from '../../cohorts/score-measures';
import { scorePropensity, type PropensityModel } from '../propensity/propensity-model';
import { scorePurchasing, type PurchasingModels, type ScoringHorizons } from '../purchasing/score-customers';
import {
  buyerHistoriesAt,
  featuresAt,
  inPopulation,
  type BuyerHistories,
  type CustomerFeatures,
} from './customer-inputs';
import type { ModelVersion } from './model-versions';

// Every customer existing at asOf scored by the given model versions: the columns of run_scores,
// each score with its quantile among the customers it applies to. In the worker, over typed
// columns (the closed forms need no database functions); only customer numbers and floats.

/** The horizons the score measures name: purchases in 90 days, a 12-month CLV at 1 % a month. */
export const HORIZONS: ScoringHorizons = {
  purchasesWithin: 90,
  lifetimeValue: { months: 12, monthlyDiscountRate: 0.01, timeUnitsPerMonth: 30 },
};

export interface ScoredCustomers extends ScoreValues {
  /** What the scores were computed from, for `why`. */
  inputs: { buyers?: BuyerHistories; features?: CustomerFeatures };
}

/** cume_dist: the share of the scored customers whose score is at most each one's; NaN stays NaN. */
export function quantiles(values: Float64Array): Float64Array {
  const present = Float64Array.from(values.filter((v) => !Number.isNaN(v))).sort();
  const n = present.length;
  return values.map((v) => {
    if (Number.isNaN(v)) return NaN;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (present[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    return lo / n;
  });
}

/** Where each customer number of `from` is in `into` (both sorted ascending); −1 when it is not there. */
function positions(from: Int32Array, into: Int32Array): Int32Array {
  const out = new Int32Array(from.length);
  let j = 0;
  for (let i = 0; i < from.length; i += 1) {
    while (j < into.length && into[j]! < from[i]!) j += 1;
    out[i] = into[j] === from[i] ? j : -1;
  }
  return out;
}

export async function scoreAt(
  db: Queryable,
  asOf: Date,
  models: ReadonlyMap<ModelKind, ModelVersion>,
  path: ReadPath = { from: 'events' },
): Promise<ScoredCustomers> {
  const purchasing = models.get('purchasing');
  const propensities = (['churn', 'upgrade'] as const).filter((k) => models.has(k));
  const buyers = purchasing ? await buyerHistoriesAt(db, asOf) : undefined;
  const people = propensities.length > 0 ? await featuresAt(db, asOf, path) : undefined;
  // Every customer some score applies to, ascending: buyers and the propensity populations.
  const numbers = new Set<number>(buyers?.customerNo ?? []);
  if (people)
    people.customerNo.forEach((no, i) => {
      if (propensities.some((k) => inPopulation(k, people.lifecycleStage[i]!))) numbers.add(no);
    });
  const customerNo = Int32Array.from([...numbers].sort((a, b) => a - b));
  const columns: Record<string, Float64Array> = {};
  const put = (name: string, at: Int32Array, values: Float64Array) => {
    const col = new Float64Array(customerNo.length).fill(NaN);
    at.forEach((pos, i) => {
      if (pos >= 0) col[pos] = values[i]!;
    });
    columns[name] = col;
    columns[`${name}_q`] = quantiles(col);
  };
  if (purchasing && buyers) {
    const scores = scorePurchasing(purchasing.parameters as PurchasingModels, buyers.histories, HORIZONS);
    const at = positions(buyers.customerNo, customerNo);
    put('p_alive', at, scores.probabilityAlive);
    put('expected_purchases_90d', at, scores.expectedPurchases);
    put('clv_12m', at, scores.lifetimeValue);
  }
  if (people) {
    const all = scorePropensityFor(people, propensities, models);
    const at = positions(people.customerNo, customerNo);
    for (const [kind, values] of all) put(kind === 'churn' ? 'churn_probability' : 'upgrade_probability', at, values);
  }
  return { customerNo, columns, inputs: { buyers, features: people } };
}

/** Each propensity model's probability for its population; NaN for customers outside it. */
function scorePropensityFor(
  people: CustomerFeatures,
  kinds: ReadonlyArray<'churn' | 'upgrade'>,
  models: ReadonlyMap<ModelKind, ModelVersion>,
): Map<'churn' | 'upgrade', Float64Array> {
  const out = new Map<'churn' | 'upgrade', Float64Array>();
  for (const kind of kinds) {
    const probability = scorePropensity(models.get(kind)!.parameters as PropensityModel, people.features);
    out.set(
      kind,
      probability.map((p, i) => (inPopulation(kind, people.lifecycleStage[i]!) ? p : NaN)),
    );
  }
  return out;
}
