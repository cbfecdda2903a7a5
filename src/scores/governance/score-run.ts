import type { Db, Queryable } from '../../data/db';
import { keepFeatures } from '../../cohorts/customer-state';
import { featuresOf } from '../../cohorts/features';
import { readPath } from '../../cohorts/measures-sql';
import { propensityMeasureSet } from './customer-inputs';
import { runModels } from './model-versions';
import { scoreAt } from './score-at';

// A run's scores: every customer existing at its asOf scored by the model versions the run pinned
// when it planned, written once into run_scores (a retry finds them and writes nothing). Kept with
// the run, so a snapshot that read them can be explained and reproduced later.

export const SCORE_COLUMNS = [
  'p_alive',
  'p_alive_q',
  'expected_purchases_90d',
  'expected_purchases_90d_q',
  'clv_12m',
  'clv_12m_q',
  'churn_probability',
  'churn_probability_q',
  'upgrade_probability',
  'upgrade_probability_q',
] as const;

/** Rows per INSERT: a few MB of parameters each. */
const BATCH = 50_000;

export async function scoreRun(
  db: Db,
  input: { runId: string; asOf: string },
): Promise<{ customers: number; models: Record<string, string> }> {
  const done = await db.query<{ customers: number; models: Record<string, string> }>(
    'SELECT customers, models FROM run_score_sets WHERE run_id = $1',
    [input.runId],
  );
  if (done.rows[0]) return done.rows[0];
  const models = await runModels(db, input.runId);
  const pinned = Object.fromEntries([...models].map(([kind, v]) => [kind, v.modelId]));
  if (models.size === 0) return { customers: 0, models: {} };
  const asOf = new Date(input.asOf);
  if (models.has('churn') || models.has('upgrade')) await keepFeatures(db, featuresOf(propensityMeasureSet()));
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    const scored = await scoreAt(tx, asOf, models, await readPath(tx, asOf, propensityMeasureSet()));
    await writeScores(tx, input.runId, scored.customerNo, scored.columns);
    await tx.query('INSERT INTO run_score_sets (run_id, as_of, customers, models) VALUES ($1, $2, $3, $4)', [
      input.runId,
      input.asOf,
      scored.customerNo.length,
      JSON.stringify(pinned),
    ]);
    return { customers: scored.customerNo.length, models: pinned };
  });
}

async function writeScores(
  tx: Queryable,
  runId: string,
  customerNo: Int32Array,
  columns: Record<string, Float64Array>,
): Promise<void> {
  const empty = new Float64Array(customerNo.length).fill(NaN);
  for (let from = 0; from < customerNo.length; from += BATCH) {
    const to = Math.min(customerNo.length, from + BATCH);
    const slice = (a: Float64Array) => Array.from(a.subarray(from, to), (v) => (Number.isNaN(v) ? null : v));
    // Column names from the fixed list above, never from input.
    await tx.query(
      `INSERT INTO run_scores (run_id, customer_no, ${SCORE_COLUMNS.join(', ')})
       SELECT $1, * FROM unnest($2::int[], ${SCORE_COLUMNS.map((_, i) => `$${i + 3}::float8[]`).join(', ')})`,
      [runId, Array.from(customerNo.subarray(from, to)), ...SCORE_COLUMNS.map((c) => slice(columns[c] ?? empty))],
    );
  }
}
