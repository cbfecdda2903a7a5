import { normalUpperQuantile } from './normal';
import { studentTQuantile, twoSidedTP } from './student-t';
import { type Interval } from './proportions';

// Comparing a KPI measured as a mean per member (revenue per member) between a treatment arm
// and the control with Welch's t test: no assumption that the arms share a variance, degrees
// of freedom by Welch–Satterthwaite. Inputs are the summaries SQL returns per arm: count,
// mean and sample variance (var_samp, divisor n − 1).

export interface MeanArm {
  n: number;
  mean: number;
  /** Sample variance with divisor n − 1. */
  variance: number;
}

export interface MeanComparison {
  controlMean: number;
  treatmentMean: number;
  absoluteLift: number;
  /** Welch's interval: difference ± t(1 − α/2; df) · SE. Null when neither arm varies. */
  absoluteLiftInterval: Interval | null;
  relativeLift: number | null;
  /** Delta method on ln(mean_t / mean_c) with the normal quantile; null unless both means are > 0. */
  relativeLiftInterval: Interval | null;
  t: number | null;
  degreesOfFreedom: number | null;
  pValue: number | null;
}

function checkMeanArm(arm: MeanArm, name: string): void {
  if (!Number.isInteger(arm.n) || arm.n < 2)
    throw new RangeError(`${name}: a mean needs n ≥ 2 members to estimate its variance, got ${arm.n}`);
  if (!Number.isFinite(arm.mean)) throw new RangeError(`${name}: mean must be a finite number, got ${arm.mean}`);
  if (!(arm.variance >= 0) || !Number.isFinite(arm.variance))
    throw new RangeError(`${name}: variance must be a finite number ≥ 0, got ${arm.variance}`);
}

/** (s₁²/n₁ + s₂²/n₂)² / ((s₁²/n₁)²/(n₁ − 1) + (s₂²/n₂)²/(n₂ − 1)). */
export function welchSatterthwaiteDf(a: MeanArm, b: MeanArm): number {
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  return (va + vb) ** 2 / ((va * va) / (a.n - 1) + (vb * vb) / (b.n - 1));
}

export function compareMeans(control: MeanArm, treatment: MeanArm, alpha = 0.05): MeanComparison {
  checkMeanArm(control, 'control');
  checkMeanArm(treatment, 'treatment');
  const absoluteLift = treatment.mean - control.mean;
  const varianceOfDifference = control.variance / control.n + treatment.variance / treatment.n;
  const relativeLift = control.mean === 0 ? null : treatment.mean / control.mean - 1;
  const relative = relativeMeanInterval(control, treatment, alpha);
  if (varianceOfDifference === 0)
    return {
      controlMean: control.mean,
      treatmentMean: treatment.mean,
      absoluteLift,
      absoluteLiftInterval: null,
      relativeLift,
      relativeLiftInterval: relative,
      t: null,
      degreesOfFreedom: null,
      pValue: null,
    };
  const se = Math.sqrt(varianceOfDifference);
  const t = absoluteLift / se;
  const df = welchSatterthwaiteDf(control, treatment);
  const half = studentTQuantile(1 - alpha / 2, df) * se;
  return {
    controlMean: control.mean,
    treatmentMean: treatment.mean,
    absoluteLift,
    absoluteLiftInterval: { lower: absoluteLift - half, upper: absoluteLift + half },
    relativeLift,
    relativeLiftInterval: relative,
    t,
    degreesOfFreedom: df,
    pValue: twoSidedTP(t, df),
  };
}

/**
 * Var(ln m̂) ≈ s² / (n m²) for each arm, so ln(m_t / m_c) ± z·√(s_t²/(n_t m_t²) + s_c²/(n_c m_c²)).
 * The same method as the proportions' relative interval (there s² = p(1 − p)), so both KPI
 * kinds report relative lift the same way.
 */
export function relativeMeanInterval(control: MeanArm, treatment: MeanArm, alpha: number): Interval | null {
  if (!(control.mean > 0 && treatment.mean > 0)) return null;
  const se = Math.sqrt(
    treatment.variance / (treatment.n * treatment.mean ** 2) + control.variance / (control.n * control.mean ** 2),
  );
  const logRatio = Math.log(treatment.mean / control.mean);
  const half = normalUpperQuantile(alpha / 2) * se;
  return { lower: Math.exp(logRatio - half) - 1, upper: Math.exp(logRatio + half) - 1 };
}
