import type { Queryable } from '../data/db';
import { currentModels, type ModelVersion } from '../scores/governance/model-versions';
import { scoreAt, type ScoredCustomers } from '../scores/governance/score-at';
import { InvalidDefinitionError } from './catalog';
import { modelKindsOf, scoreColumns, type MeasureSet } from './measures';
import type { ReadPath } from './measures-sql';
import { MODEL_OF, SCORE_FORMULAS, type ModelKind, type ScoreMeasure } from './score-measures';

// Scores for inspection (preview, explain, why): computed now with the current model versions,
// as of the asOf asked, exactly as a run computes them, and passed to the statement as values.

export interface InspectionScores {
  models: Map<ModelKind, ModelVersion>;
  scored: ScoredCustomers;
}

/** Undefined when the cohort reads no score; refused, naming the model, when one has no current version. */
export async function inspectionScores(
  db: Queryable,
  cohortId: string,
  set: MeasureSet,
  asOf: Date,
  path: ReadPath,
): Promise<InspectionScores | undefined> {
  const kinds = modelKindsOf(set);
  if (kinds.length === 0) return undefined;
  const current = await currentModels(db);
  const missing = kinds.filter((k) => !current.has(k));
  if (missing.length > 0)
    throw new InvalidDefinitionError([
      `${cohortId}: its rule reads ${scoreColumns(set)
        .filter((c) => missing.includes(MODEL_OF[c.name]))
        .map((c) => c.name)
        .join(
          ', ',
        )}, but no ${missing.join(' or ')} model version is current yet: fit one (cohortflow models fit ${missing[0]}) and approve it through a refresh`,
    ]);
  const models = new Map(kinds.map((k) => [k, current.get(k)!]));
  return { models, scored: await scoreAt(db, asOf, models, path) };
}

/** How each score the cohort reads is computed, and by which model version. */
export function scoreExplanations(set: MeasureSet, scores: InspectionScores | undefined) {
  return [...new Map(scoreColumns(set).map((c) => [c.name, c])).values()].map((c) => {
    const model = scores?.models.get(MODEL_OF[c.name]);
    return { measure: c.name, modelId: model?.modelId ?? null, formula: SCORE_FORMULAS[c.name] };
  });
}

export interface MemberScore {
  measure: ScoreMeasure;
  modelId: string;
  value: number | null;
  quantile: number | null;
  /** What the model read of the customer: the purchase summary, or the measures it weighs. */
  inputs: Record<string, number | string | null> | null;
}

export function memberScores(set: MeasureSet, scores: InspectionScores, customerNo: number): MemberScore[] {
  const { scored, models } = scores;
  const at = scored.customerNo.indexOf(customerNo);
  const value = (column: string) => {
    const v = at >= 0 ? scored.columns[column]?.[at] : undefined;
    return v === undefined || Number.isNaN(v) ? null : v;
  };
  return [...new Set(scoreColumns(set).map((c) => c.name))].map((measure) => ({
    measure,
    modelId: models.get(MODEL_OF[measure])!.modelId,
    value: value(measure),
    quantile: value(`${measure}_q`),
    inputs: inputsOf(MODEL_OF[measure], scores, customerNo),
  }));
}

function inputsOf(
  kind: ModelKind,
  { scored }: InspectionScores,
  customerNo: number,
): Record<string, number | string | null> | null {
  if (kind === 'purchasing') {
    const b = scored.inputs.buyers;
    const i = b ? b.customerNo.indexOf(customerNo) : -1;
    if (!b || i < 0) return null;
    const h = b.histories;
    return { frequency: h.frequency[i]!, recency: h.recency[i]!, age: h.age[i]!, meanSpend: h.meanSpend[i]! };
  }
  const f = scored.inputs.features;
  const i = f ? f.customerNo.indexOf(customerNo) : -1;
  if (!f || i < 0) return null;
  const plan = f.features.categories.plan!;
  return {
    ...Object.fromEntries(
      Object.entries(f.features.numeric).map(([name, col]) => [name, Number.isNaN(col[i]!) ? null : col[i]!]),
    ),
    plan: plan.codes[i]! >= 0 ? plan.levels[plan.codes[i]!]! : null,
    lifecycle_stage: f.lifecycleStage[i]!,
  };
}
