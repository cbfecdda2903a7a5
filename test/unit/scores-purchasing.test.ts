import { hyp2f1 } from '../../src/scores/numerics/hypergeometric';
import { bgNbdLogLikelihood, bgNbdLogLikelihoodGradient, fitBgNbd } from '../../src/scores/purchasing/bg-nbd';
import { expectedPurchases, probabilityAlive } from '../../src/scores/purchasing/bg-nbd-predictions';
import { expectedMeanSpend, fitGammaGamma, gammaGammaLogLikelihood } from '../../src/scores/purchasing/gamma-gamma';
import { lifetimeValue } from '../../src/scores/purchasing/lifetime-value';
import { summarisePurchases, type SpendHistories } from '../../src/scores/purchasing/purchase-history';
import { scorePurchasing } from '../../src/scores/purchasing/score-customers';
import { simulateCustomers } from '../../src/scores/purchasing/simulate-purchases';

// The purchasing models' behaviour, each expectation worked out by hand or from a limit the
// model must reach. The published CDNOW figures are checked in scores-cdnow.test.ts.

const CDNOW_LIKE = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const histories = (rows: number[][]): SpendHistories => ({
  frequency: Float64Array.from(rows, (r) => r[0]!),
  recency: Float64Array.from(rows, (r) => r[1]!),
  age: Float64Array.from(rows, (r) => r[2]!),
  meanSpend: Float64Array.from(rows, (r) => r[3] ?? 0),
});

/** Fader, Hardie & Lee (2005) eq. (10), term by term, with the series taken directly. */
function expectedPurchasesAsPublished(
  { r, alpha, a, b }: typeof CDNOW_LIKE,
  x: number,
  tx: number,
  T: number,
  t: number,
) {
  const z = t / (alpha + T + t);
  const bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z);
  const denominator = 1 + (x > 0 ? (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x) : 0);
  return (((a + b + x - 1) / (a - 1)) * bracket) / denominator;
}

describe('a customer purchase history', () => {
  it('counts purchase days after the first as repeats, up to asOf, and averages the repeats’ value', () => {
    // Days 10 (20 + 5), 15 (30) and 40 (10) by asOf 45; day 50 is later. Repeats: days 15 and 40.
    const purchases = [
      { day: 10, value: 20 },
      { day: 40, value: 10 },
      { day: 10, value: 5 },
      { day: 15, value: 30 },
      { day: 50, value: 99 },
    ];
    expect(summarisePurchases(purchases, 45)).toEqual({ frequency: 2, recency: 30, age: 35, meanSpend: 20 });
  });

  it('has no repeat and no mean spend after a single purchase day', () => {
    expect(summarisePurchases([{ day: 3, value: 7 }], 10)).toEqual({ frequency: 0, recency: 0, age: 7, meanSpend: 0 });
  });

  it('does not exist before the first purchase', () => {
    expect(summarisePurchases([{ day: 12, value: 7 }], 10)).toBeUndefined();
  });

  it('is refused, naming the customer, when recency exceeds age', () => {
    expect(() =>
      fitBgNbd(
        histories([
          [1, 2, 5],
          [2, 9, 8],
        ]),
      ),
    ).toThrow(/customer #1 .*recency must lie between 0 and the age/);
  });
});

describe('the probability that a customer is alive', () => {
  it('is 1 without a repeat purchase: nobody can drop out before buying again', () => {
    expect(probabilityAlive(CDNOW_LIKE, { frequency: 0, recency: 0, age: 30 })).toBe(1);
  });

  it('follows eq. (11) of Fader, Hardie & Lee', () => {
    // r = 2, α = 10, a = 2, b = 3; x = 2, t_x = 5, T = 15: odds of being dead = 2/4 · (25/15)⁴ = 312.5/81.
    const p = probabilityAlive({ r: 2, alpha: 10, a: 2, b: 3 }, { frequency: 2, recency: 5, age: 15 });
    expect(p).toBeCloseTo(81 / 393.5, 14);
  });

  it('falls the longer a frequent buyer stays silent', () => {
    const at = (age: number) => probabilityAlive(CDNOW_LIKE, { frequency: 5, recency: 20, age });
    expect(at(22)).toBeGreaterThan(at(30));
    expect(at(30)).toBeGreaterThan(at(60));
  });
});

describe('expected purchases', () => {
  it.each([
    [0, 0, 30, 10],
    [1, 2, 38, 39],
    [7, 35, 38, 39],
    [30, 37, 38, 52],
  ])('equal the published closed form for x = %p, t_x = %p, T = %p, t = %p', (x, tx, T, t) => {
    for (const parameters of [CDNOW_LIKE, { r: 1.5, alpha: 20, a: 2.5, b: 4 }]) {
      const ours = expectedPurchases(parameters, { frequency: x, recency: tx, age: T }, t);
      expect(ours / expectedPurchasesAsPublished(parameters, x, tx, T, t)).toBeCloseTo(1, 12);
    }
  });

  it('are, for a customer who has just made a first purchase, those of a new customer (eq. 9)', () => {
    const { r, alpha, a, b } = CDNOW_LIKE;
    const t = 39;
    const newCustomer =
      ((a + b - 1) / (a - 1)) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)));
    expect(expectedPurchases(CDNOW_LIKE, { frequency: 0, recency: 0, age: 0 }, t) / newCustomer).toBeCloseTo(1, 12);
  });

  it('tend to the Gamma-Poisson rate (r + x) / (α + T) per time unit when nobody drops out', () => {
    // b huge: the dropout probability a / (a + b) is ~1e-7, so the BG/NBD is the plain NBD.
    const noDropout = { r: 0.8, alpha: 12, a: 1.5, b: 1.5e7 };
    expect(expectedPurchases(noDropout, { frequency: 4, recency: 20, age: 28 }, 10) / ((4.8 / 40) * 10)).toBeCloseTo(
      1,
      5,
    );
  });

  it('are 0 over no time and grow with the horizon', () => {
    const history = { frequency: 3, recency: 20, age: 30 };
    expect(expectedPurchases(CDNOW_LIKE, history, 0)).toBeCloseTo(0, 15);
    expect(expectedPurchases(CDNOW_LIKE, history, 10)).toBeLessThan(expectedPurchases(CDNOW_LIKE, history, 20));
  });
});

describe('expected spend per purchase (Gamma-Gamma)', () => {
  const spend = { p: 6, q: 4, gamma: 15 };

  it('is the population mean p γ / (q − 1) for a customer without a repeat purchase', () => {
    expect(expectedMeanSpend(spend, 0, 0)).toBeCloseTo(30, 14);
  });

  it("moves from the population mean towards the customer's own mean as repeats accumulate", () => {
    // x = 2, m̄ = 50: p (γ + x m̄) / (p x + q − 1) = 6 · 115 / 15 = 46.
    expect(expectedMeanSpend(spend, 2, 50)).toBeCloseTo(46, 13);
    expect(expectedMeanSpend(spend, 1e6, 50)).toBeCloseTo(50, 3);
  });

  it('is refused when the model has no finite mean (q ≤ 1)', () => {
    expect(() => expectedMeanSpend({ p: 6, q: 0.9, gamma: 15 }, 1, 20)).toThrow(/q must be > 1/);
  });
});

describe('customer lifetime value', () => {
  const history = { frequency: 3, recency: 20, age: 30 };
  const perMonth = (months: number) => expectedPurchases(CDNOW_LIKE, history, months * 4.345);

  it('without discounting, is the expected spend times the purchases expected over the horizon', () => {
    const value = lifetimeValue(CDNOW_LIKE, history, 25, {
      months: 12,
      monthlyDiscountRate: 0,
      timeUnitsPerMonth: 4.345,
    });
    expect(value / (25 * perMonth(12))).toBeCloseTo(1, 12);
  });

  it("discounts each month's purchases at the end of that month", () => {
    // 2 months at 1 %: 25 · (E₁ / 1.01 + (E₂ − E₁) / 1.01²).
    const value = lifetimeValue(CDNOW_LIKE, history, 25, {
      months: 2,
      monthlyDiscountRate: 0.01,
      timeUnitsPerMonth: 4.345,
    });
    expect(value / (25 * (perMonth(1) / 1.01 + (perMonth(2) - perMonth(1)) / 1.0201))).toBeCloseTo(1, 12);
  });

  it('refuses a horizon that is not whole months', () => {
    expect(() =>
      lifetimeValue(CDNOW_LIKE, history, 25, { months: 1.5, monthlyDiscountRate: 0, timeUnitsPerMonth: 30 }),
    ).toThrow(/months must be a whole number/);
  });
});

describe('scoring many customers at once', () => {
  const models = { bgNbd: CDNOW_LIKE, gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44 } };
  const horizons = {
    purchasesWithin: 39,
    lifetimeValue: { months: 12, monthlyDiscountRate: 0.01, timeUnitsPerMonth: 4.345 },
  };
  const book = histories([
    [0, 0, 38],
    [2, 30.43, 38.86, 22.35],
    [14, 36, 37, 40],
  ]);

  it('gives every customer the scores the one-customer functions give', () => {
    const scores = scorePurchasing(models, book, horizons);
    for (let i = 0; i < 3; i += 1) {
      const history = { frequency: book.frequency[i]!, recency: book.recency[i]!, age: book.age[i]! };
      const spend = expectedMeanSpend(models.gammaGamma, history.frequency, book.meanSpend[i]!);
      expect(scores.probabilityAlive[i]).toBe(probabilityAlive(models.bgNbd, history));
      expect(scores.expectedPurchases[i]! / expectedPurchases(models.bgNbd, history, 39)).toBeCloseTo(1, 14);
      expect(scores.expectedSpend[i]).toBe(spend);
      expect(
        scores.lifetimeValue[i]! / lifetimeValue(models.bgNbd, history, spend, horizons.lifetimeValue),
      ).toBeCloseTo(1, 14);
    }
  });

  it('refuses a repeat buyer without a positive mean spend, naming them', () => {
    expect(() =>
      scorePurchasing(
        models,
        histories([
          [0, 0, 3],
          [1, 1, 3, 0],
        ]),
        horizons,
      ),
    ).toThrow(/customer #1 .*mean spend/);
  });
});

describe('fitting the models', () => {
  const truth = { bgNbd: { r: 0.8, alpha: 40, a: 0.9, b: 3 }, spend: { p: 4, q: 5, gamma: 60 } };
  const simulated = simulateCustomers(truth.bgNbd, truth.spend, {
    customers: 30_000,
    minAge: 30,
    maxAge: 730,
    seed: 17,
  });

  it('climbs the likelihood along its exact gradient', () => {
    const at = { r: 0.7, alpha: 35, a: 1.1, b: 2.5 };
    const gradient = bgNbdLogLikelihoodGradient(at, simulated);
    (['r', 'alpha', 'a', 'b'] as const).forEach((name, k) => {
      const h = 1e-6 * at[name];
      const slope =
        (bgNbdLogLikelihood({ ...at, [name]: at[name] + h }, simulated) -
          bgNbdLogLikelihood({ ...at, [name]: at[name] - h }, simulated)) /
        (2 * h);
      expect(gradient[k]! / slope).toBeCloseTo(1, 5);
    });
  });

  it('recovers the BG/NBD parameters customers were drawn with', () => {
    const fit = fitBgNbd(simulated);
    expect(fit.converged).toBe(true);
    for (const name of ['r', 'alpha', 'a', 'b'] as const)
      expect(Math.abs(fit.parameters[name] / truth.bgNbd[name] - 1)).toBeLessThan(0.1);
  });

  it('recovers the Gamma-Gamma parameters from the repeat buyers, and finds spend independent of frequency', () => {
    const fit = fitGammaGamma(simulated);
    expect(fit.converged).toBe(true);
    expect(fit.customers).toBe(simulated.frequency.filter((x) => x > 0).length);
    // p γ / (q − 1), the population's mean spend, is what the data pin down best.
    const mean = (s: typeof truth.spend) => (s.p * s.gamma) / (s.q - 1);
    expect(Math.abs(mean(fit.parameters) / mean(truth.spend) - 1)).toBeLessThan(0.02);
    for (const name of ['p', 'q', 'gamma'] as const)
      expect(Math.abs(fit.parameters[name] / truth.spend[name] - 1)).toBeLessThan(0.15);
    expect(Math.abs(fit.frequencySpendCorrelation)).toBeLessThan(0.05);
    expect(gammaGammaLogLikelihood(fit.parameters, simulated)).toBeGreaterThan(
      gammaGammaLogLikelihood(truth.spend, simulated),
    );
  });

  it('refuses customers without any repeat purchase: the dropout process is unseen', () => {
    expect(() =>
      fitBgNbd(
        histories([
          [0, 0, 3],
          [0, 0, 5],
        ]),
      ),
    ).toThrow(/no customer has a repeat purchase/);
  });
});
