import type { Queryable } from '../../data/db';
import type { ModelKind } from '../../cohorts/score-measures';
import { trainPropensityModel } from '../propensity/propensity-model';
import { fitBgNbd } from '../purchasing/bg-nbd';
import { fitGammaGamma } from '../purchasing/gamma-gamma';
import type { SpendHistories } from '../purchasing/purchase-history';
import {
  buyerHistoriesAt,
  featuresAt,
  inPopulation,
  labelledAt,
  LABEL_HORIZON_DAYS,
  PROPENSITY_FEATURES,
  TARGET_EVENT,
} from './customer-inputs';
import { scoreDrift } from './drift';
import { currentModels, proposeModelVersion, type ModelVersion, type NewModelVersion } from './model-versions';

// Fitting a new model version from what is known at asOf, with its metrics, promotion rule and
// the drift of its scores against the current version; stored as proposed, never as current.

const DAY_MS = 86_400_000;
/** Buyers the purchasing fit reads at most: the fit's parameters settle long before. */
const FIT_SAMPLE = 100_000;
/** Past asOfs a propensity model learns from, every two weeks back from asOf − the label horizon. */
const EXAMPLE_ASOFS = 8;
const EXAMPLE_SPACING_DAYS = 14;
export const MIN_AUC = 0.7;
/** Repeat buyers the purchasing fit needs before its parameters mean anything. */
const MIN_REPEAT_BUYERS = 20;

export class ModelFitRefused extends Error {}

export interface FitRequest {
  kind: ModelKind;
  asOf: Date;
  author: string;
  rationale: string;
  runId?: string;
}

export async function fitModelVersion(db: Queryable, request: FitRequest): Promise<ModelVersion> {
  const fitted =
    request.kind === 'purchasing'
      ? await fitPurchasing(db, request.asOf)
      : await fitPropensity(db, request.kind, request.asOf);
  const current = (await currentModels(db)).get(request.kind);
  const drift = current ? await scoreDrift(db, request.asOf, current, { ...fitted, kind: request.kind }) : null;
  const watermarks = await db.query<{ w: Record<string, string> | null }>(
    'SELECT jsonb_object_agg(source, watermark) AS w FROM source_watermarks',
  );
  const version: NewModelVersion = {
    ...fitted,
    kind: request.kind,
    asOf: request.asOf.toISOString(),
    watermarks: watermarks.rows[0]?.w ?? {},
    drift,
    author: request.author,
    rationale: request.rationale,
    runId: request.runId ?? null,
  };
  return proposeModelVersion(db, version);
}

type Fitted = Pick<
  NewModelVersion,
  'parameters' | 'metrics' | 'promotable' | 'promotionReason' | 'trainingFrom' | 'trainingUntil'
>;

async function fitPurchasing(db: Queryable, asOf: Date): Promise<Fitted> {
  const all = await buyerHistoriesAt(db, asOf);
  const n = all.customerNo.length;
  // An even sample by customer number: the same data gives the same fit.
  const step = Math.max(1, Math.ceil(n / FIT_SAMPLE));
  const take = (a: Float64Array) => a.filter((_, i) => i % step === 0);
  const h: SpendHistories = {
    frequency: take(all.histories.frequency),
    recency: take(all.histories.recency),
    age: take(all.histories.age),
    meanSpend: take(all.histories.meanSpend),
  };
  const repeat = h.frequency.filter((x) => x > 0).length;
  if (repeat < MIN_REPEAT_BUYERS)
    throw new ModelFitRefused(
      `purchasing: ${repeat} customers with a repeat purchase (invoice_paid on a second day) by ${asOf.toISOString()}; the fit needs ${MIN_REPEAT_BUYERS}`,
    );
  const bgNbd = fitBgNbd(h);
  const repeaters = h.frequency.reduce<number[]>((acc, x, i) => (x > 0 ? [...acc, i] : acc), []);
  const pick = (a: Float64Array) => Float64Array.from(repeaters, (i) => a[i]!);
  const gammaGamma = fitGammaGamma({
    frequency: pick(h.frequency),
    recency: pick(h.recency),
    age: pick(h.age),
    meanSpend: pick(h.meanSpend),
  });
  const { a } = bgNbd.parameters;
  const { q } = gammaGamma.parameters;
  const reasons = [
    !bgNbd.converged ? 'the BG/NBD fit did not converge' : undefined,
    !gammaGamma.converged ? 'the Gamma-Gamma fit did not converge' : undefined,
    !(q > 1) ? `Gamma-Gamma q = ${q.toFixed(3)} ≤ 1: the population's mean spend is infinite` : undefined,
    Math.abs(a - 1) < 1e-6 ? 'BG/NBD a = 1: expected purchases are undefined' : undefined,
  ].filter((r): r is string => r !== undefined);
  const oldest = Math.max(...h.age);
  return {
    parameters: { bgNbd: bgNbd.parameters, gammaGamma: gammaGamma.parameters },
    metrics: {
      buyers: n,
      fitSample: h.frequency.length,
      repeatBuyers: repeat,
      bgNbdLogLikelihood: bgNbd.logLikelihood,
      bgNbdIterations: bgNbd.iterations,
      gammaGammaLogLikelihood: gammaGamma.logLikelihood,
      frequencySpendCorrelation: gammaGamma.frequencySpendCorrelation,
    },
    promotable: reasons.length === 0,
    promotionReason:
      reasons.length === 0 ? 'both fits converged and the spend model has a finite mean (q > 1)' : reasons.join('; '),
    trainingFrom: new Date(asOf.getTime() - oldest * DAY_MS).toISOString(),
    trainingUntil: asOf.toISOString(),
  };
}

async function fitPropensity(db: Queryable, kind: 'churn' | 'upgrade', asOf: Date): Promise<Fitted> {
  const first = await db.query<{ first: Date | null }>(
    'SELECT min(occurred_at) AS first FROM events WHERE occurred_at <= $1 AND ingested_at <= $1',
    [asOf.toISOString()],
  );
  const earliest = first.rows[0]?.first?.getTime() ?? asOf.getTime();
  // Every label window ends by asOf; each example asOf has at least a label horizon of history before it.
  const asOfs: Date[] = [];
  for (let k = 0; k < EXAMPLE_ASOFS; k += 1) {
    const at = asOf.getTime() - (LABEL_HORIZON_DAYS + k * EXAMPLE_SPACING_DAYS) * DAY_MS;
    if (at - LABEL_HORIZON_DAYS * DAY_MS < earliest) break;
    asOfs.unshift(new Date(at));
  }
  if (asOfs.length < 2)
    throw new ModelFitRefused(
      `${kind}: the data starts ${new Date(earliest).toISOString()}; a model needs at least ${2 * LABEL_HORIZON_DAYS + EXAMPLE_SPACING_DAYS} days of history before ${asOf.toISOString()} (two example dates with their ${LABEL_HORIZON_DAYS}-day outcome)`,
    );
  const rows: Array<{ at: number; label: boolean; numeric: number[]; plan: string | null }> = [];
  for (const at of asOfs) {
    const people = await featuresAt(db, at, { from: 'events' }, asOf);
    const positive = await labelledAt(db, kind, at, asOf);
    const plans = people.features.categories.plan!;
    for (let i = 0; i < people.features.rows; i += 1) {
      if (!inPopulation(kind, people.lifecycleStage[i]!)) continue;
      rows.push({
        at: at.getTime(),
        label: positive.has(people.customerNo[i]!),
        numeric: PROPENSITY_FEATURES.filter((f) => f.kind === 'numeric').map(
          (f) => people.features.numeric[f.name]![i]!,
        ),
        plan: plans.codes[i]! >= 0 ? plans.levels[plans.codes[i]!]! : null,
      });
    }
  }
  const numericNames = PROPENSITY_FEATURES.filter((f) => f.kind === 'numeric').map((f) => f.name);
  const levels = [...new Set(rows.map((r) => r.plan).filter((p): p is string => p !== null))].sort();
  const model = trainPropensityModel(
    {
      target: kind,
      labelHorizonDays: LABEL_HORIZON_DAYS,
      asOf: Float64Array.from(rows, (r) => r.at),
      labels: rows.map((r) => r.label),
      features: {
        rows: rows.length,
        numeric: Object.fromEntries(
          numericNames.map((name, j) => [name, Float64Array.from(rows, (r) => r.numeric[j]!)]),
        ),
        categories: {
          plan: { levels, codes: Int32Array.from(rows, (r) => (r.plan === null ? -1 : levels.indexOf(r.plan))) },
        },
      },
    },
    { features: PROPENSITY_FEATURES, minAuc: MIN_AUC },
  );
  return {
    parameters: model,
    metrics: {
      target: `${TARGET_EVENT[kind]} within ${LABEL_HORIZON_DAYS} days`,
      auc: model.validation.auc,
      brier: model.validation.brier,
      logLoss: model.validation.logLoss,
      training: model.training,
      validation: { rows: model.validation.rows, positives: model.validation.positives, asOfs: model.validation.asOfs },
      reliability: model.validation.reliability,
      featureWeights: model.featureWeights,
    },
    promotable: model.promotion.promoted,
    promotionReason: model.promotion.reason,
    trainingFrom: asOfs[0]!.toISOString(),
    trainingUntil: asOf.toISOString(),
  };
}
