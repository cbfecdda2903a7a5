import { normalUpperQuantile, twoSidedNormalP } from './normal';

// Comparing a binary KPI (converted or not, retained or not) between a treatment arm and the
// control. The test statistic pools the two arms (under the null they share one rate); the
// interval for the difference does not (under the alternative they don't), which is the usual
// pairing and what statsmodels computes with proportions_ztest and
// confint_proportions_2indep(method='wald').

export interface ProportionArm {
  /** Members whose outcome is known. */
  n: number;
  /** Members who converted (or were retained). */
  successes: number;
}

export interface Interval {
  lower: number;
  upper: number;
}

export interface ProportionComparison {
  controlRate: number;
  treatmentRate: number;
  /** treatment − control, in rate units (0.012 = 1.2 percentage points). */
  absoluteLift: number;
  absoluteLiftInterval: Interval;
  /** treatment / control − 1; null when the control rate is 0. */
  relativeLift: number | null;
  /** Delta method on ln(treatment / control) (Katz's log interval); null when either arm has no success. */
  relativeLiftInterval: Interval | null;
  /** Pooled two-proportion z; null when neither arm varies (all succeeded or none did). */
  z: number | null;
  pValue: number | null;
}

export function checkProportionArm(arm: ProportionArm, name: string): void {
  if (!Number.isInteger(arm.n) || arm.n < 1)
    throw new RangeError(`${name}: n must be a whole number ≥ 1, got ${arm.n}`);
  if (!Number.isInteger(arm.successes) || arm.successes < 0 || arm.successes > arm.n)
    throw new RangeError(`${name}: successes must be a whole number between 0 and n (${arm.n}), got ${arm.successes}`);
}

/** The pooled z statistic; null when the pooled rate is 0 or 1 and there is nothing to test. */
export function twoProportionZ(control: ProportionArm, treatment: ProportionArm): number | null {
  const pooled = (control.successes + treatment.successes) / (control.n + treatment.n);
  const variance = pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n);
  if (variance === 0) return null;
  return (treatment.successes / treatment.n - control.successes / control.n) / Math.sqrt(variance);
}

/**
 * Relative lift r − 1 with r = p_t / p_c: ln r ± z·√((1 − p_t)/(n_t p_t) + (1 − p_c)/(n_c p_c)),
 * then back through exp. The interval is asymmetric and never below −100%.
 */
export function relativeLiftInterval(control: ProportionArm, treatment: ProportionArm, alpha: number): Interval | null {
  if (control.successes === 0 || treatment.successes === 0) return null;
  const logRatio = Math.log(treatment.successes / treatment.n / (control.successes / control.n));
  const se = Math.sqrt(1 / treatment.successes - 1 / treatment.n + 1 / control.successes - 1 / control.n);
  const half = normalUpperQuantile(alpha / 2) * se;
  return { lower: Math.exp(logRatio - half) - 1, upper: Math.exp(logRatio + half) - 1 };
}

export function compareProportions(
  control: ProportionArm,
  treatment: ProportionArm,
  alpha = 0.05,
): ProportionComparison {
  checkProportionArm(control, 'control');
  checkProportionArm(treatment, 'treatment');
  const controlRate = control.successes / control.n;
  const treatmentRate = treatment.successes / treatment.n;
  const absoluteLift = treatmentRate - controlRate;
  const unpooledSe = Math.sqrt(
    (controlRate * (1 - controlRate)) / control.n + (treatmentRate * (1 - treatmentRate)) / treatment.n,
  );
  const half = normalUpperQuantile(alpha / 2) * unpooledSe;
  const z = twoProportionZ(control, treatment);
  return {
    controlRate,
    treatmentRate,
    absoluteLift,
    absoluteLiftInterval: { lower: absoluteLift - half, upper: absoluteLift + half },
    relativeLift: controlRate === 0 ? null : treatmentRate / controlRate - 1,
    relativeLiftInterval: relativeLiftInterval(control, treatment, alpha),
    z,
    pValue: z === null ? null : twoSidedNormalP(z),
  };
}
