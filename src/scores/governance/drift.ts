import type { Queryable } from '../../data/db';
import type { ModelKind } from '../../cohorts/score-measures';
import type { ModelVersion, ScoreDrift } from './model-versions';
import { scoreAt } from './score-at';

// How far a new version's scores move from the current version's: both score the same customers
// as of the same asOf, and the PSI of the new distribution against the current one, over the
// current one's deciles, says whether approving it would reshuffle the score-based cohorts.

const PRIMARY_SCORE: Record<ModelKind, string> = {
  purchasing: 'clv_12m',
  churn: 'churn_probability',
  upgrade: 'upgrade_probability',
};

/** PSI over the deciles of `before`, each share smoothed by half a customer (as the baseline drift check does). */
export function populationStability(before: Float64Array, after: Float64Array): number {
  const sorted = Float64Array.from(before).sort();
  const edges = Array.from({ length: 9 }, (_, k) => sorted[Math.floor(((k + 1) * sorted.length) / 10)]!);
  const bucket = (v: number) => {
    let b = 0;
    while (b < edges.length && v > edges[b]!) b += 1;
    return b;
  };
  const count = (values: Float64Array) => {
    const c = new Array<number>(10).fill(0.5);
    for (const v of values) c[bucket(v)]! += 1;
    const total = c.reduce((s, x) => s + x, 0);
    return c.map((x) => x / total);
  };
  const p = count(before);
  const q = count(after);
  return p.reduce((s, pi, i) => s + (q[i]! - pi) * Math.log(q[i]! / pi), 0);
}

export async function scoreDrift(
  db: Queryable,
  asOf: Date,
  current: ModelVersion,
  proposed: Pick<ModelVersion, 'kind' | 'parameters'>,
): Promise<ScoreDrift> {
  const score = PRIMARY_SCORE[current.kind];
  const before = (await scoreAt(db, asOf, new Map([[current.kind, current]]))).columns[score]!;
  const after = (await scoreAt(db, asOf, new Map([[current.kind, { ...current, parameters: proposed.parameters }]])))
    .columns[score]!;
  const present = (a: Float64Array) => a.filter((v) => !Number.isNaN(v));
  const b = present(before);
  return {
    against: current.modelId,
    score,
    psi: b.length > 0 ? populationStability(b, present(after)) : 0,
    customers: b.length,
  };
}
