import { chiSquarePValue } from './chi-square';

// Sample ratio mismatch: do the arms hold the members the allocation says they should? A split
// that drifts from its shares means something dropped or duplicated members of one arm (a bug,
// a filter applied to one side), and every comparison built on it is suspect. Pearson's
// chi-square goodness of fit over the arms, as scipy.stats.chisquare computes it.

/** The conventional threshold: at p < 0.001 a split is called broken, so a healthy one is rarely flagged. */
export const SRM_ALPHA = 0.001;

export interface SampleRatioCheck {
  arms: { arm: string; observed: number; expected: number }[];
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
  /** p-value below the threshold: the split is broken. */
  mismatch: boolean;
  threshold: number;
}

/**
 * `expected` are counts (or shares: they are scaled to the observed total). With an allocation
 * that changed over time, pass for each arm the sum over allocation versions of members
 * assigned under that version × the arm's share in it.
 */
export function sampleRatioMismatch(
  observed: Readonly<Record<string, number>>,
  expected: Readonly<Record<string, number>>,
  threshold = SRM_ALPHA,
): SampleRatioCheck {
  const names = Object.keys(expected);
  for (const arm of Object.keys(observed))
    if (!(arm in expected))
      throw new RangeError(`sample ratio check: arm "${arm}" was observed but has no expected share`);
  for (const arm of names) {
    const o = observed[arm] ?? 0;
    if (!Number.isInteger(o) || o < 0) throw new RangeError(`sample ratio check: arm "${arm}" has count ${o}`);
    if (!(expected[arm]! > 0))
      throw new RangeError(`sample ratio check: arm "${arm}" needs an expected share > 0, got ${expected[arm]}`);
  }
  if (names.length < 2) throw new RangeError('sample ratio check: needs at least two arms');
  const total = names.reduce((sum, arm) => sum + (observed[arm] ?? 0), 0);
  const expectedTotal = names.reduce((sum, arm) => sum + expected[arm]!, 0);
  let statistic = 0;
  const arms = names.map((arm) => {
    const o = observed[arm] ?? 0;
    const e = (expected[arm]! / expectedTotal) * total;
    if (total > 0) statistic += (o - e) ** 2 / e;
    return { arm, observed: o, expected: e };
  });
  const degreesOfFreedom = names.length - 1;
  const pValue = total === 0 ? 1 : chiSquarePValue(statistic, degreesOfFreedom);
  return { arms, statistic, degreesOfFreedom, pValue, mismatch: pValue < threshold, threshold };
}

export interface StratifiedSampleRatioCheck {
  strata: SampleRatioCheck[];
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
  mismatch: boolean;
  threshold: number;
}

/**
 * The check over an allocation that changed: one goodness-of-fit per allocation version (the
 * members assigned under it against its shares), their statistics summed. Independent
 * chi-squares add, so the sum is chi-square with the summed degrees of freedom. Versions under
 * which nobody was assigned contribute nothing.
 */
export function stratifiedSampleRatioMismatch(
  strata: readonly { shares: Readonly<Record<string, number>>; observed: Readonly<Record<string, number>> }[],
  threshold = SRM_ALPHA,
): StratifiedSampleRatioCheck {
  const checks = strata
    .filter((s) => Object.values(s.observed).some((n) => n > 0))
    .map((s) => sampleRatioMismatch(s.observed, s.shares, threshold));
  const statistic = checks.reduce((sum, c) => sum + c.statistic, 0);
  const degreesOfFreedom = checks.reduce((sum, c) => sum + c.degreesOfFreedom, 0);
  const pValue = degreesOfFreedom === 0 ? 1 : chiSquarePValue(statistic, degreesOfFreedom);
  return { strata: checks, statistic, degreesOfFreedom, pValue, mismatch: pValue < threshold, threshold };
}
