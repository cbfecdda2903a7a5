import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bgNbdLogLikelihood, fitBgNbd, type BgNbdFit } from '../../src/scores/purchasing/bg-nbd';
import { fitGammaGamma, type GammaGammaFit } from '../../src/scores/purchasing/gamma-gamma';
import type { SpendHistories } from '../../src/scores/purchasing/purchase-history';
import { scorePurchasing, type PurchasingScores } from '../../src/scores/purchasing/score-customers';
import { summarisePurchases } from '../../src/scores/purchasing/purchase-history';
import { cdnowSample } from '../support/cdnow';

// The purchasing models against the literature and against a reference implementation, on the
// CDNOW sample (2,357 customers of one 1997 cohort, time in weeks). Published figures: Fader,
// Hardie & Lee (2005), "Counting your customers the easy way", and Fader & Hardie's note on the
// Gamma-Gamma model. Per-customer figures: the `lifetimes` package, by
// scripts/reference/purchasing.py into test/fixtures/scores/purchasing-reference.json.

const reference = JSON.parse(
  readFileSync(path.resolve(__dirname, '../fixtures/scores/purchasing-reference.json'), 'utf8'),
);

const relativeGap = (ours: number, theirs: number) => Math.abs(ours - theirs) / Math.abs(theirs);

describe('the purchasing models on the CDNOW sample', () => {
  let ids: number[];
  let histories: SpendHistories;
  let bgNbd: BgNbdFit;
  let gammaGamma: GammaGammaFit;
  let atReferenceParameters: PurchasingScores;

  beforeAll(() => {
    ({ ids, histories } = cdnowSample(reference.cdnowSha256));
    bgNbd = fitBgNbd(histories);
    gammaGamma = fitGammaGamma(histories);
    const models = { bgNbd: reference.bgNbd, gammaGamma: reference.gammaGamma };
    atReferenceParameters = scorePurchasing(models, histories, reference.horizons);
  });

  it('reads the same 2,357 customers the reference was made from', () => {
    expect(ids).toEqual(reference.customers.id);
  });

  it('fits the published BG/NBD parameters and log-likelihood', () => {
    // r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9582.4.
    expect(bgNbd.converged).toBe(true);
    expect(bgNbd.parameters.r).toBeCloseTo(0.243, 3);
    expect(bgNbd.parameters.alpha).toBeCloseTo(4.414, 3);
    expect(bgNbd.parameters.a).toBeCloseTo(0.793, 3);
    expect(bgNbd.parameters.b).toBeCloseTo(2.426, 3);
    expect(bgNbd.logLikelihood).toBeCloseTo(-9582.4, 1);
  });

  it('fits the published Gamma-Gamma parameters on the 946 repeat buyers', () => {
    // p = 6.25, q = 3.74, γ = 15.44 published; this copy of the data gives γ = 15.45 in
    // `lifetimes` too (its spends differ from the paper's in the last cent), so γ is held to
    // the published value within 0.01 and to the copy's to the published precision.
    expect(gammaGamma.converged).toBe(true);
    expect(gammaGamma.customers).toBe(946);
    expect(gammaGamma.parameters.p).toBeCloseTo(6.25, 2);
    expect(gammaGamma.parameters.q).toBeCloseTo(3.74, 2);
    expect(Math.abs(gammaGamma.parameters.gamma - 15.44)).toBeLessThan(0.01);
    expect(gammaGamma.parameters.gamma).toBeCloseTo(15.45, 2);
  });

  it('finds the optimum `lifetimes` finds, and one at least as high', () => {
    for (const name of ['r', 'alpha', 'a', 'b'] as const)
      expect(relativeGap(bgNbd.parameters[name], reference.bgNbd[name])).toBeLessThan(1e-5);
    for (const name of ['p', 'q', 'gamma'] as const)
      expect(relativeGap(gammaGamma.parameters[name], reference.gammaGamma[name])).toBeLessThan(1e-5);
    expect(bgNbd.logLikelihood).toBeGreaterThanOrEqual(bgNbdLogLikelihood(reference.bgNbd, histories) - 1e-9);
  });

  it.each(['probabilityAlive', 'expectedPurchases', 'expectedSpend', 'lifetimeValue'] as const)(
    'gives every customer the %s of `lifetimes` within 1e-6 relative, at its parameters',
    (score) => {
      const ours = atReferenceParameters;
      const theirs: number[] = reference.customers[score];
      const worst = theirs.reduce((max, value, i) => Math.max(max, relativeGap(ours[score][i]!, value)), 0);
      expect(worst).toBeLessThan(1e-6);
    },
  );
});

describe('purchase histories from a transaction log', () => {
  it('match the summaries of `lifetimes` (same-day purchases merged, first day not a repeat)', () => {
    const { asOfDay, purchases, summaries } = reference.transactionLog;
    const byCustomer = new Map<string, Array<{ day: number; value: number }>>();
    for (const { customer, day, value } of purchases)
      byCustomer.set(customer, [...(byCustomer.get(customer) ?? []), { day, value }]);
    const sameDay = purchases.filter(
      (p: any, i: number) => purchases.findIndex((q: any) => q.customer === p.customer && q.day === p.day) !== i,
    );
    expect(sameDay.length).toBeGreaterThan(0);
    const ours = Object.fromEntries(
      [...byCustomer].flatMap(([customer, list]) => {
        const summary = summarisePurchases(list, asOfDay);
        return summary ? [[customer, summary]] : [];
      }),
    );
    expect(Object.keys(ours).sort()).toEqual(Object.keys(summaries).sort());
    for (const [customer, s] of Object.entries<any>(summaries)) {
      expect(ours[customer].frequency).toBe(s.frequency);
      expect(ours[customer].recency).toBe(s.recency);
      expect(ours[customer].age).toBe(s.T);
      expect(ours[customer].meanSpend).toBeCloseTo(s.monetary_value, 10);
    }
  });
});
