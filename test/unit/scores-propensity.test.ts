import { areaUnderCurve, brierScore, reliabilityTable } from '../../src/scores/propensity/classification-metrics';
import { encodeColumns, learnColumns, type FeatureColumns } from '../../src/scores/propensity/feature-table';
import { fitLogisticRegression } from '../../src/scores/propensity/logistic-regression';
import { scorePropensity, trainPropensityModel } from '../../src/scores/propensity/propensity-model';
import { splitByAsOf } from '../../src/scores/propensity/time-split';
import { mulberry32 } from '../../src/sources/generate/random';

// How a propensity model is trained, judged and promoted, on examples small enough to work
// out by hand. The agreement with scikit-learn is in scores-propensity-reference.test.ts.

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);
const all = (n: number) => Int32Array.from({ length: n }, (_, i) => i);

describe('judging predicted probabilities', () => {
  it('ranks: AUC is the share of positive–negative pairs ordered right', () => {
    // Positives score 0.35 and 0.8, negatives 0.1 and 0.4: 3 of the 4 pairs are ordered right.
    expect(areaUnderCurve(Float64Array.of(0.1, 0.4, 0.35, 0.8), Uint8Array.of(0, 0, 1, 1))).toBe(0.75);
    expect(areaUnderCurve(Float64Array.of(0.5, 0.5), Uint8Array.of(0, 1))).toBe(0.5);
  });

  it('has no AUC when only one class is present', () => {
    expect(areaUnderCurve(Float64Array.of(0.2, 0.3), Uint8Array.of(1, 1))).toBeUndefined();
  });

  it('measures the Brier score as the mean squared gap to what happened', () => {
    // (0.1² + 0.2²) / 2 = 0.025.
    expect(brierScore(Float64Array.of(0.9, 0.2), Uint8Array.of(1, 0))).toBeCloseTo(0.025, 15);
  });

  it('tabulates reliability in equal-width bins, leaving empty bins out', () => {
    const table = reliabilityTable(Float64Array.of(0.05, 0.1, 0.15, 0.95), Uint8Array.of(0, 1, 0, 1));
    expect(table).toEqual([
      { from: 0, to: 0.1, rows: 2, meanPredicted: 0.07500000000000001, observedRate: 0.5 },
      { from: 0.1, to: 0.2, rows: 1, meanPredicted: 0.15, observedRate: 0 },
      { from: 0.9, to: 1, rows: 1, meanPredicted: 0.95, observedRate: 1 },
    ]);
  });
});

describe('the time split', () => {
  const asOf = Float64Array.from(
    ['2025-01-01', '2025-02-01', '2025-03-01', '2025-04-01'].flatMap((d) => [day(d), day(d)]),
  );

  it('validates on the latest asOfs and trains only on earlier ones', () => {
    const split = splitByAsOf(asOf, { labelHorizonDays: 30, validationAsOfs: 1 });
    expect([...split.validation]).toEqual([6, 7]);
    expect([...split.train]).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('drops training rows whose label window reaches past the first validation asOf', () => {
    // 1 March + 45 days is 15 April, after 1 April: those rows would have seen the validation period.
    const split = splitByAsOf(asOf, { labelHorizonDays: 45, validationAsOfs: 1 });
    expect([...split.train]).toEqual([0, 1, 2, 3]);
    expect(split.droppedForLabelOverlap).toBe(2);
  });

  it('holds out a quarter of the asOfs by default', () => {
    expect(splitByAsOf(asOf, { labelHorizonDays: 30 }).validationAsOfs).toEqual([day('2025-04-01')]);
  });

  it('refuses a single asOf: nothing would be left to train or to validate on', () => {
    expect(() => splitByAsOf(Float64Array.of(day('2025-01-01')), { labelHorizonDays: 30 })).toThrow(/cannot hold out/);
  });
});

describe('model columns', () => {
  const table: FeatureColumns = {
    rows: 4,
    numeric: { velocity: Float64Array.of(1, NaN, 3, 2), tickets: Float64Array.of(0, 1, 3, 0) },
    categories: { plan: { levels: ['free', 'pro', 'team'], codes: Int32Array.of(0, 1, 1, -1) } },
  };

  it('fill a missing value with the mean of the present ones and flag it in a column of its own', () => {
    const columns = learnColumns([{ kind: 'numeric', name: 'velocity' }], table, all(4));
    expect(columns.map((c) => c.name)).toEqual(['velocity', 'velocity (missing)']);
    // Present: 1, 3, 2 → mean 2; with the fill the values are 1, 2, 3, 2: mean 2, sd √(½).
    expect(columns[0]!.center).toBe(2);
    expect(columns[0]!.scale).toBeCloseTo(Math.SQRT1_2, 15);
  });

  it('turn a category into one indicator per level seen in training', () => {
    const columns = learnColumns([{ kind: 'category', name: 'plan' }], table, all(4));
    expect(columns.map((c) => c.name)).toEqual(['plan = free', 'plan = pro']);
  });

  it('are standardised to mean 0 and standard deviation 1 over the training rows', () => {
    const specs = [{ kind: 'numeric', name: 'tickets', transform: 'log1p' } as const];
    const [encoded] = encodeColumns(learnColumns(specs, table, all(4)), table);
    const mean = encoded!.reduce((s, v) => s + v, 0) / 4;
    expect(mean).toBeCloseTo(0, 15);
    expect(encoded!.reduce((s, v) => s + (v - mean) ** 2, 0) / 4).toBeCloseTo(1, 14);
  });

  it('refuse a feature the table does not have, naming it', () => {
    expect(() => learnColumns([{ kind: 'numeric', name: 'tenure' }], table, all(4))).toThrow(/feature "tenure"/);
  });
});

describe('L2-regularised logistic regression', () => {
  it('without features, predicts the base rate: the intercept is its log-odds', () => {
    // 3 positives of 10: ln(3/7).
    const fit = fitLogisticRegression([], Uint8Array.of(1, 1, 1, 0, 0, 0, 0, 0, 0, 0), 1);
    expect(fit.intercept).toBeCloseTo(Math.log(3 / 7), 12);
  });

  it('stops where the penalised gradient vanishes: Σ (p − y) x + λ w = 0', () => {
    const random = mulberry32(5);
    const x = Float64Array.from({ length: 200 }, () => random() * 2 - 1);
    const y = Uint8Array.from(x, (v) => (random() < 1 / (1 + Math.exp(-2 * v)) ? 1 : 0));
    const fit = fitLogisticRegression([x], y, 3);
    const p = x.map((v) => 1 / (1 + Math.exp(-(fit.intercept + fit.weights[0]! * v))));
    expect(p.reduce((s, pi, i) => s + (pi - y[i]!) * x[i]!, 0) + 3 * fit.weights[0]!).toBeCloseTo(0, 10);
    expect(p.reduce((s, pi, i) => s + pi - y[i]!, 0)).toBeCloseTo(0, 10);
  });

  it('shrinks the weights as the penalty grows', () => {
    const x = Float64Array.of(-2, -1, 0, 1, 2, -1.5, 0.5, 1.5);
    const y = Uint8Array.of(0, 0, 1, 1, 1, 0, 0, 1);
    const weight = (l2: number) => Math.abs(fitLogisticRegression([x], y, l2).weights[0]!);
    expect(weight(0.1)).toBeGreaterThan(weight(1));
    expect(weight(1)).toBeGreaterThan(weight(10));
  });
});

describe('training and promoting a propensity model', () => {
  // Six monthly asOfs of 200 customers; churn is likelier the fewer active days.
  const random = mulberry32(11);
  const rows = 1200;
  const asOf = Float64Array.from({ length: rows }, (_, i) => day(`2025-0${1 + Math.floor(i / 200)}-01`));
  const frequency = Float64Array.from({ length: rows }, () => Math.floor(random() * 30));
  const examples = (strength: number) => ({
    target: 'churn',
    labelHorizonDays: 30,
    asOf,
    labels: Array.from(frequency, (f) => random() < 1 / (1 + Math.exp(-(1 - strength * f)))),
    features: { rows, numeric: { frequency }, categories: {} },
  });
  const options = { features: [{ kind: 'numeric', name: 'frequency' } as const], validationAsOfs: 2 };

  it('promotes a model that ranks the later asOfs well, and reports its weights', () => {
    const model = trainPropensityModel(examples(0.25), options);
    expect(model.validation.auc!).toBeGreaterThan(0.7);
    expect(model.promotion.promoted).toBe(true);
    expect(model.featureWeights[0]!.column).toBe('frequency');
    expect(model.featureWeights[0]!.weight).toBeLessThan(0);
  });

  it('does not promote a model below the minimum AUC, and says why', () => {
    const model = trainPropensityModel(examples(0), options);
    expect(model.promotion.promoted).toBe(false);
    expect(model.promotion.reason).toMatch(/validation AUC 0\.\d+ is below 0\.7/);
  });

  it('does not promote on too few positive validation rows', () => {
    const model = trainPropensityModel(examples(0.25), { ...options, minValidationPositives: 1000 });
    expect(model.promotion).toMatchObject({ promoted: false, reason: expect.stringMatching(/fewer than 1000/) });
  });

  it('scores new customers as it scored its validation rows', () => {
    const model = trainPropensityModel(examples(0.25), options);
    const scored = scorePropensity(model, { rows: 2, numeric: { frequency: Float64Array.of(0, 29) }, categories: {} });
    expect(scored[0]).toBeGreaterThan(scored[1]!);
  });

  it('refuses a label that is not a boolean, naming the row', () => {
    const bad = { ...examples(0.25), labels: Uint8Array.from({ length: rows }, (_, i) => (i === 7 ? 2 : 0)) };
    expect(() => trainPropensityModel(bad, options)).toThrow(/row 7: label 2 is not a boolean/);
  });
});
