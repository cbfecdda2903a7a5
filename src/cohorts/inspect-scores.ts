import type { Queryable } from '../data/db';
import { buyerHistoriesAt, featuresAt, propensityMeasureSet } from '../scores/governance/customer-inputs';
import { currentModels, runModels } from '../scores/governance/model-versions';
import { scoreAt, type ScoredCustomers } from '../scores/governance/score-at';
import { SCORE_COLUMNS } from '../scores/governance/score-run';
import { InvalidDefinitionError } from './catalog';
import type { StoredSnapshot } from './inspect-snapshot';
import { modelKindsOf, scoreColumns, type MeasureSet } from './measures';
import { readPath, type ReadPath, type ScoreSource } from './measures-sql';
import { MODEL_OF, SCORE_FORMULAS, type ModelKind, type ScoreMeasure } from './score-measures';

// Scores for inspection (preview, explain, why). A stored snapshot is explained with the scores
// its run stored (run_scores), by the versions its lineage names: the explanation matches the
// membership whatever became current since. An ad hoc asOf, which no run computed, is scored now
// with the current versions, exactly as a run computes them, and the answer says so.

export type InspectionScores =
  | { from: 'run'; runId: string; snapshotId: string; models: Map<ModelKind, string> }
  | { from: 'now'; models: Map<ModelKind, string>; scored: ScoredCustomers };

/** Where an answer's scores come from, for people and programs. */
export interface ScoringNote {
  /** The run whose run_scores hold them; null when they were computed now. */
  runId: string | null;
  /** The model version of each kind the rule reads. */
  models: Record<string, string>;
  text: string;
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
  return {
    from: 'now',
    models: new Map(kinds.map((k) => [k, current.get(k)!.modelId])),
    scored: await scoreAt(db, asOf, models, path),
  };
}

/** The scores a stored snapshot read: its run's, by the versions its lineage names (else those the run pinned). */
export async function storedScores(
  db: Queryable,
  set: MeasureSet,
  snapshot: StoredSnapshot,
): Promise<InspectionScores | undefined> {
  const kinds = modelKindsOf(set);
  if (kinds.length === 0) return undefined;
  const pinned = kinds.some((k) => !snapshot.modelVersions[k]) ? await runModels(db, snapshot.runId) : new Map();
  const models = new Map(kinds.map((k) => [k, snapshot.modelVersions[k] ?? pinned.get(k)?.modelId ?? 'none recorded']));
  return { from: 'run', runId: snapshot.runId, snapshotId: snapshot.snapshotId, models };
}

export const scoreSource = (scores: InspectionScores | undefined): ScoreSource | undefined =>
  scores && (scores.from === 'run' ? { runId: scores.runId } : { values: scores.scored });

export function scoringNote(scores: InspectionScores | undefined): ScoringNote | null {
  if (!scores) return null;
  const models = Object.fromEntries(scores.models);
  const versions = [...scores.models.values()].join(', ');
  return scores.from === 'run'
    ? {
        runId: scores.runId,
        models,
        text: `scores stored by run ${scores.runId}, which computed snapshot ${scores.snapshotId}, with model version ${versions}`,
      }
    : { runId: null, models, text: `scored now with model version ${versions}: no run computed this asOf` };
}

/** How each score the cohort reads is computed, and by which model version. */
export function scoreExplanations(set: MeasureSet, scores: InspectionScores | undefined) {
  return [...new Map(scoreColumns(set).map((c) => [c.name, c])).values()].map((c) => ({
    measure: c.name,
    modelId: scores?.models.get(MODEL_OF[c.name]) ?? null,
    formula: SCORE_FORMULAS[c.name],
  }));
}

export interface MemberScore {
  measure: ScoreMeasure;
  modelId: string;
  value: number | null;
  quantile: number | null;
  /** What the model read of the customer: the purchase summary, or the measures it weighs. */
  inputs: Record<string, number | string | null> | null;
  /** Why there is no value, in words; null when there is one. */
  missing: string | null;
}

type Inputs = ScoredCustomers['inputs'];

export async function memberScores(
  db: Queryable,
  set: MeasureSet,
  scores: InspectionScores,
  customerNo: number,
  asOf: Date,
): Promise<MemberScore[]> {
  const measures = [...new Set(scoreColumns(set).map((c) => c.name))];
  const { values, inputs } =
    scores.from === 'now'
      ? { values: scoredValues(scores.scored, customerNo), inputs: scores.scored.inputs }
      : {
          values: await storedValues(db, scores.runId, customerNo),
          // run_scores keeps the scores, not what the models read: read again as of the run's asOf.
          inputs: await inputsAt(db, scores.models, asOf),
        };
  return measures.map((measure) => {
    const value = values?.[measure] ?? null;
    const missing =
      value !== null
        ? null
        : !values && scores.from === 'run'
          ? `run ${scores.runId} stored no score for this customer: not scored as of its asOf (not known yet, or no model applies)`
          : `the ${MODEL_OF[measure]} model does not apply to this customer as of this asOf`;
    return {
      measure,
      modelId: scores.models.get(MODEL_OF[measure])!,
      value,
      quantile: values?.[`${measure}_q`] ?? null,
      inputs: inputsOf(MODEL_OF[measure], inputs, customerNo),
      missing,
    };
  });
}

type ScoreRow = Record<string, number | null>;

function scoredValues(scored: ScoredCustomers, customerNo: number): ScoreRow | undefined {
  const at = scored.customerNo.indexOf(customerNo);
  if (at < 0) return undefined;
  return Object.fromEntries(
    Object.entries(scored.columns).map(([column, values]) => [column, Number.isNaN(values[at]!) ? null : values[at]!]),
  );
}

async function storedValues(db: Queryable, runId: string, customerNo: number): Promise<ScoreRow | undefined> {
  // Column names from the fixed list of run_scores, never from input.
  const r = await db.query<ScoreRow>(
    `SELECT ${SCORE_COLUMNS.join(', ')} FROM run_scores WHERE run_id = $1 AND customer_no = $2`,
    [runId, customerNo],
  );
  return r.rows[0];
}

async function inputsAt(db: Queryable, models: ReadonlyMap<ModelKind, string>, asOf: Date): Promise<Inputs> {
  const buyers = models.has('purchasing') ? await buyerHistoriesAt(db, asOf) : undefined;
  const features =
    models.has('churn') || models.has('upgrade')
      ? await featuresAt(db, asOf, await readPath(db, asOf, propensityMeasureSet()))
      : undefined;
  return { buyers, features };
}

function inputsOf(kind: ModelKind, inputs: Inputs, customerNo: number): Record<string, number | string | null> | null {
  if (kind === 'purchasing') {
    const b = inputs.buyers;
    const i = b ? b.customerNo.indexOf(customerNo) : -1;
    if (!b || i < 0) return null;
    const h = b.histories;
    return { frequency: h.frequency[i]!, recency: h.recency[i]!, age: h.age[i]!, meanSpend: h.meanSpend[i]! };
  }
  const f = inputs.features;
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
