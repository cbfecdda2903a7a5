import { normalCdf, normalSf, normalUpperQuantile } from './normal';

// How many members an experiment on a conversion rate needs: two-sided test of two proportions,
// normal approximation, variance pooled under the null and unpooled under the alternative, the
// far tail ignored (it adds < 1e-6 of power at any useful effect). This is the closed form
// statsmodels computes in samplesize_proportions_2indep_onetail; powerTwoProportions below
// keeps both tails, like statsmodels' power_proportions_2indep, to report the power reached.

export interface SampleSizeQuestion {
  /** The control's conversion rate, e.g. 0.05. */
  baselineRate: number;
  /** The smallest absolute difference worth detecting, e.g. 0.01 (5% → 6%). Negative for a decrease. */
  mde: number;
  alpha?: number;
  power?: number;
  /** Members in the control per member in the treatment arm: 1/9 for a 10% holdout against a 90% treatment. */
  controlPerTreatment?: number;
}

export interface SampleSizePlan {
  /** Members needed in the treatment arm, rounded up. */
  treatment: number;
  /** Members needed in the control, rounded up. */
  control: number;
  /** Before rounding: the treatment arm's exact requirement. */
  exactTreatment: number;
  /** Power reached with the rounded sizes. */
  achievedPower: number;
}

function variances(q: Required<SampleSizeQuestion>) {
  const pc = q.baselineRate;
  const pt = pc + q.mde;
  const r = q.controlPerTreatment;
  const pooled = (pt + pc * r) / (1 + r);
  // Per treatment member: Var(p̂_t − p̂_c) · n_t.
  const nullSd = Math.sqrt(pooled * (1 - pooled) * (1 + 1 / r));
  const alternativeSd = Math.sqrt(pt * (1 - pt) + (pc * (1 - pc)) / r);
  return { nullSd, alternativeSd };
}

function complete(q: SampleSizeQuestion): Required<SampleSizeQuestion> {
  const full = { alpha: 0.05, power: 0.8, controlPerTreatment: 1, ...q };
  const pt = full.baselineRate + full.mde;
  if (!(full.baselineRate > 0 && full.baselineRate < 1))
    throw new RangeError(`baseline rate must be between 0 and 1, got ${full.baselineRate}`);
  if (!(full.mde !== 0 && pt > 0 && pt < 1))
    throw new RangeError(
      `minimum detectable effect must be non-zero and keep baseline + mde between 0 and 1, got ${full.mde}`,
    );
  if (!(full.alpha > 0 && full.alpha < 1)) throw new RangeError(`alpha must be between 0 and 1, got ${full.alpha}`);
  if (!(full.power > full.alpha / 2 && full.power < 1))
    throw new RangeError(`power must be between alpha/2 and 1, got ${full.power}`);
  if (!(full.controlPerTreatment > 0))
    throw new RangeError(`controlPerTreatment must be > 0, got ${full.controlPerTreatment}`);
  return full;
}

/** n_t = ((z_{1−α/2} σ₀ + z_{power} σ₁) / mde)², n_c = n_t · controlPerTreatment. */
export function sampleSizeTwoProportions(question: SampleSizeQuestion): SampleSizePlan {
  const q = complete(question);
  const { nullSd, alternativeSd } = variances(q);
  const exactTreatment =
    ((normalUpperQuantile(q.alpha / 2) * nullSd + normalUpperQuantile(1 - q.power) * alternativeSd) / q.mde) ** 2;
  const treatment = Math.ceil(exactTreatment);
  const control = Math.ceil(exactTreatment * q.controlPerTreatment);
  const achievedPower = powerTwoProportions({ ...q, treatment: treatment, control });
  return { treatment, control, exactTreatment, achievedPower };
}

/** The power of the two-sided pooled z test with these arm sizes, both rejection tails counted. */
export function powerTwoProportions(question: SampleSizeQuestion & { treatment: number; control: number }): number {
  const q = complete({ ...question, controlPerTreatment: question.control / question.treatment });
  const { nullSd, alternativeSd } = variances(q);
  const crit = normalUpperQuantile(q.alpha / 2);
  const shift = (q.mde * Math.sqrt(question.treatment)) / alternativeSd;
  const ratio = nullSd / alternativeSd;
  return normalSf(crit * ratio - shift) + normalCdf(-crit * ratio - shift);
}
