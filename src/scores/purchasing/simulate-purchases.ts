import { mulberry32, type Random } from '../../sources/generate/random';
import type { BgNbdParameters } from './bg-nbd';
import type { GammaGammaParameters } from './gamma-gamma';
import type { SpendHistories } from './purchase-history';

// Customers drawn from the models themselves, seeded: a fit on them must recover the parameters
// they were drawn with (the tests), and they give the benchmark a million realistic histories.

/** Standard normal by Box–Muller (one of the pair is dropped: simplicity over speed). */
function normal(random: Random): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, rate = 1) by Marsaglia & Tsang (2000); shapes below 1 by the u^(1/shape) boost. */
export function gammaVariate(random: Random, shape: number): number {
  if (shape < 1) return gammaVariate(random, shape + 1) * (1 - random()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

const betaVariate = (random: Random, a: number, b: number) => {
  const x = gammaVariate(random, a);
  return x / (x + gammaVariate(random, b));
};

export interface SimulationOptions {
  customers: number;
  /** Each customer's age T is drawn uniformly from [minAge, maxAge] time units. */
  minAge: number;
  maxAge: number;
  seed: number;
}

/**
 * Histories as the BG/NBD process makes them: purchase gaps Exponential(λ), λ ~ Gamma(r, α);
 * after each repeat purchase the customer drops out with probability p ~ Beta(a, b). Each repeat
 * purchase's value is Gamma(p_s, ν), ν ~ Gamma(q, γ) (the Gamma-Gamma model); meanSpend is
 * their mean.
 */
export function simulateCustomers(
  bgNbd: BgNbdParameters,
  spend: GammaGammaParameters,
  { customers, minAge, maxAge, seed }: SimulationOptions,
): SpendHistories {
  const random = mulberry32(seed);
  const histories: SpendHistories = {
    frequency: new Float64Array(customers),
    recency: new Float64Array(customers),
    age: new Float64Array(customers),
    meanSpend: new Float64Array(customers),
  };
  for (let i = 0; i < customers; i += 1) {
    const age = minAge + (maxAge - minAge) * random();
    const rate = gammaVariate(random, bgNbd.r) / bgNbd.alpha;
    const dropout = betaVariate(random, bgNbd.a, bgNbd.b);
    const spendRate = gammaVariate(random, spend.q) / spend.gamma;
    let time = 0;
    let purchases = 0;
    let last = 0;
    let spent = 0;
    for (;;) {
      time -= Math.log(1 - random()) / rate;
      if (time > age) break;
      purchases += 1;
      last = time;
      spent += gammaVariate(random, spend.p) / spendRate;
      if (random() < dropout) break;
    }
    histories.frequency[i] = purchases;
    histories.recency[i] = last;
    histories.age[i] = age;
    histories.meanSpend[i] = purchases === 0 ? 0 : spent / purchases;
  }
  return histories;
}
