import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { FeatureColumns } from '../../src/scores/propensity/feature-table';
import { scorePropensity, trainPropensityModel } from '../../src/scores/propensity/propensity-model';

// The propensity trainer against scikit-learn on a synthetic subscription book: the same time
// split, the same standardised columns, the same L2 logistic regression (C = 1 / λ) and the same
// validation figures. Made by scripts/reference/propensity.py into
// test/fixtures/scores/propensity-reference.json.

const reference = JSON.parse(
  readFileSync(path.resolve(__dirname, '../fixtures/scores/propensity-reference.json'), 'utf8'),
);
const { rows } = reference;
const PLANS = ['enterprise', 'free', 'pro'];
const numeric = (name: string) => Float64Array.from(rows[name] as Array<number | null>, (v) => v ?? NaN);
const book: FeatureColumns = {
  rows: rows.asOf.length,
  numeric: Object.fromEntries(
    ['recency_days', 'frequency', 'velocity', 'support_intensity', 'failed_payments', 'tenure_days'].map((n) => [
      n,
      numeric(n),
    ]),
  ),
  categories: { plan: { levels: PLANS, codes: Int32Array.from(rows.plan as string[], (p) => PLANS.indexOf(p)) } },
};
const relativeGap = (ours: number, theirs: number) => Math.abs(ours - theirs) / Math.max(Math.abs(theirs), 1e-12);

describe.each([
  ['churn', 'churned'],
  ['upgrade', 'upgraded'],
])('the %s propensity model', (target, label) => {
  const expected = reference[target];
  const model = trainPropensityModel(
    {
      target,
      labelHorizonDays: expected.labelHorizonDays,
      asOf: Float64Array.from(rows.asOf),
      labels: rows[label],
      features: book,
    },
    reference.options,
  );

  it('trains on the earlier asOfs and validates on the later ones, dropping rows whose label window overlaps', () => {
    expect(model.training.rows).toBe(expected.trainRows);
    expect(model.validation.rows).toBe(expected.validationRows);
    expect(model.training.droppedForLabelOverlap).toBe(expected.droppedForLabelOverlap);
    expect(model.training.asOfs.at(-1)! < model.validation.asOfs[0]!).toBe(true);
  });

  it('builds the same standardised columns as the reference', () => {
    expect(model.columns.map((c) => c.name)).toEqual(expected.columns.map((c: any) => c.name));
    model.columns.forEach((column, j) => {
      expect(relativeGap(column.center, expected.columns[j].center)).toBeLessThan(1e-12);
      expect(relativeGap(column.scale, expected.columns[j].scale)).toBeLessThan(1e-12);
    });
  });

  it('fits the weights scikit-learn fits', () => {
    expect(relativeGap(model.intercept, expected.intercept)).toBeLessThan(1e-9);
    model.weights.forEach((w, j) => expect(Math.abs(w - expected.weights[j])).toBeLessThan(1e-9));
  });

  it('reports the validation AUC, Brier score, log loss and reliability table scikit-learn reports', () => {
    const { validation } = expected;
    expect(relativeGap(model.validation.auc!, validation.auc)).toBeLessThan(1e-9);
    expect(relativeGap(model.validation.brier, validation.brier)).toBeLessThan(1e-9);
    expect(relativeGap(model.validation.logLoss, validation.logLoss)).toBeLessThan(1e-9);
    expect(model.validation.reliability.map((b) => b.rows)).toEqual(validation.reliability.rows);
    model.validation.reliability.forEach((bin, i) => {
      expect(bin.meanPredicted).toBeCloseTo(validation.reliability.meanPredicted[i], 10);
      expect(bin.observedRate).toBeCloseTo(validation.reliability.observedRate[i], 12);
    });
  });

  it('scores customers with the probabilities the reference gives them', () => {
    const scored = scorePropensity(model, book);
    const validationRows = [...rows.asOf.keys()].filter(
      (i: number) => rows.asOf[i] >= Date.parse(model.validation.asOfs[0]!),
    );
    validationRows.forEach((row: number, i: number) =>
      expect(Math.abs(scored[row]! - expected.validation.probabilities[i])).toBeLessThan(1e-9),
    );
  });
});
