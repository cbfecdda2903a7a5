import {
  areaUnderCurve,
  brierScore,
  meanLogLoss,
  reliabilityTable,
  type ReliabilityBin,
} from './classification-metrics';
import { encodeColumns, learnColumns, type FeatureColumns, type FeatureSpec, type ModelColumn } from './feature-table';
import { fitLogisticRegression, linearPredictor, probabilities } from './logistic-regression';
import { splitByAsOf } from './time-split';

// A propensity model (churn, upgrade, …): one row per customer per past asOf, the measures as
// of that asOf as features, the label whether the event happened within the next N days. It is
// trained on the earlier asOfs, judged on the later ones, and promoted only if it ranks well
// enough there. The result is plain data (JSON-safe), to be stored and versioned as it is.

export interface PropensityExamples {
  /** What is predicted, e.g. `churn` or `upgrade`. */
  target: string;
  /** Days after asOf that a label looks at (e.g. cancelled or lapsed within 30 days). */
  labelHorizonDays: number;
  /** Per row: the asOf it describes, epoch milliseconds. */
  asOf: Float64Array;
  /** Per row: whether the event happened within the horizon. */
  labels: Uint8Array | readonly boolean[];
  features: FeatureColumns;
}

export interface PropensityOptions {
  features: readonly FeatureSpec[];
  /** λ of the L2 penalty (scikit-learn's C = 1 / λ); default 1. */
  l2?: number;
  /** Latest distinct asOfs held out for validation; default a quarter of them. */
  validationAsOfs?: number;
  /** Promotion needs at least this validation AUC; default 0.7. */
  minAuc?: number;
  /** …and at least this many positive validation rows, so the AUC means something; default 20. */
  minValidationPositives?: number;
  reliabilityBins?: number;
}

export interface FeatureWeight {
  column: string;
  /** Change in log-odds per standard deviation of the column (over the training rows). */
  weight: number;
  oddsRatioPerSd: number;
  /** Change in log-odds per unit of the column as given (after log1p where asked). */
  weightPerUnit: number;
}

export interface PropensityModel {
  target: string;
  labelHorizonDays: number;
  columns: ModelColumn[];
  intercept: number;
  /** One per column, on the standardised scale. */
  weights: number[];
  l2: number;
  training: { rows: number; positives: number; asOfs: string[]; droppedForLabelOverlap: number; iterations: number };
  validation: {
    rows: number;
    positives: number;
    asOfs: string[];
    /** Null when the validation rows hold only one class. */
    auc: number | null;
    brier: number;
    logLoss: number;
    reliability: ReliabilityBin[];
  };
  /** Largest effects first. */
  featureWeights: FeatureWeight[];
  promotion: { promoted: boolean; reason: string; minAuc: number; minValidationPositives: number };
}

function labelArray(labels: Uint8Array | readonly boolean[], rows: number): Uint8Array {
  if (labels.length !== rows) throw new RangeError(`propensity examples: ${labels.length} labels for ${rows} rows`);
  return Uint8Array.from(labels as ArrayLike<number | boolean>, (label, row) => {
    if (label === true || label === 1) return 1;
    if (label === false || label === 0) return 0;
    throw new RangeError(`propensity examples, row ${row}: label ${String(label)} is not a boolean`);
  });
}

const count = (labels: Uint8Array, rows: Int32Array) => rows.reduce((s, row) => s + labels[row]!, 0);
const isoDates = (times: number[]) => times.map((t) => new Date(t).toISOString());

function promotionOf(auc: number | null, positives: number, minAuc: number, minValidationPositives: number) {
  const rule = { minAuc, minValidationPositives };
  if (positives < minValidationPositives)
    return {
      promoted: false,
      reason: `${positives} positive validation rows, fewer than ${minValidationPositives}`,
      ...rule,
    };
  if (auc === null) return { promoted: false, reason: 'the validation rows hold only one class', ...rule };
  if (auc < minAuc) return { promoted: false, reason: `validation AUC ${auc.toFixed(3)} is below ${minAuc}`, ...rule };
  return { promoted: true, reason: `validation AUC ${auc.toFixed(3)} ≥ ${minAuc}`, ...rule };
}

/** Trains on the earlier asOfs, validates on the later ones, and decides promotion. */
export function trainPropensityModel(examples: PropensityExamples, options: PropensityOptions): PropensityModel {
  const { target, labelHorizonDays, asOf, features } = examples;
  if (asOf.length !== features.rows)
    throw new RangeError(`propensity examples: ${asOf.length} asOf values for ${features.rows} rows`);
  const labels = labelArray(examples.labels, features.rows);
  const l2 = options.l2 ?? 1;
  const minAuc = options.minAuc ?? 0.7;
  const minValidationPositives = options.minValidationPositives ?? 20;
  const split = splitByAsOf(asOf, { labelHorizonDays, validationAsOfs: options.validationAsOfs });
  const columns = learnColumns(options.features, features, split.train);
  const fit = fitLogisticRegression(
    encodeColumns(columns, features, split.train),
    Uint8Array.from(split.train, (row) => labels[row]!),
    l2,
  );
  const validationLabels = Uint8Array.from(split.validation, (row) => labels[row]!);
  const predicted = probabilities(
    linearPredictor(
      encodeColumns(columns, features, split.validation),
      fit.intercept,
      fit.weights,
      split.validation.length,
    ),
  );
  const auc = areaUnderCurve(predicted, validationLabels) ?? null;
  const positives = count(labels, split.validation);
  return {
    target,
    labelHorizonDays,
    columns,
    intercept: fit.intercept,
    weights: [...fit.weights],
    l2,
    training: {
      rows: split.train.length,
      positives: count(labels, split.train),
      asOfs: isoDates(split.trainAsOfs),
      droppedForLabelOverlap: split.droppedForLabelOverlap,
      iterations: fit.iterations,
    },
    validation: {
      rows: split.validation.length,
      positives,
      asOfs: isoDates(split.validationAsOfs),
      auc,
      brier: brierScore(predicted, validationLabels),
      logLoss: meanLogLoss(predicted, validationLabels),
      reliability: reliabilityTable(predicted, validationLabels, options.reliabilityBins ?? 10),
    },
    featureWeights: columns
      .map((column, j) => ({
        column: column.name,
        weight: fit.weights[j]!,
        oddsRatioPerSd: Math.exp(fit.weights[j]!),
        weightPerUnit: fit.weights[j]! / column.scale,
      }))
      .sort((x, y) => Math.abs(y.weight) - Math.abs(x.weight)),
    promotion: promotionOf(auc, positives, minAuc, minValidationPositives),
  };
}

/** The model's probability for every row of `features` (customers as of the scoring asOf). */
export function scorePropensity(model: PropensityModel, features: FeatureColumns): Float64Array {
  const columns = encodeColumns(model.columns, features);
  return probabilities(linearPredictor(columns, model.intercept, Float64Array.from(model.weights), features.rows));
}
