import { worstVerdict } from '../ingest/verdicts';
import type { CheckResult, Verdict } from '../shared';
import { PROFILE_ATTRIBUTES, type ProfileAttribute, type SnapshotProfile, type ValueSummary } from './profile';
import {
  chiSquareHomogeneity,
  populationStabilityIndex,
  shiftPct,
  type BucketCounts,
  type ChiSquareTest,
} from './statistics';
import { bandAbove, FIRST_PUBLISH, round, type BaselineThresholds } from './thresholds';

// Who the members are: the mix of each key attribute and their value, against the published snapshot.

/**
 * With thousands of members every difference is "significant", so the chi-square test only
 * corroborates: it can raise a warning, never a failure, and only when the difference is both
 * significant (p below this) and large enough to matter (Cramér's V at least that).
 */
export const CHI_SQUARE_P_BELOW = 0.001;
export const CHI_SQUARE_MIN_CRAMERS_V = 0.1;

export const chiSquareVerdict = (chi: Pick<ChiSquareTest, 'pValue' | 'cramersV'>): Verdict =>
  chi.pValue < CHI_SQUARE_P_BELOW && chi.cramersV >= CHI_SQUARE_MIN_CRAMERS_V ? 'warn' : 'pass';

const pct = (share: number) => `${round(share * 100)}%`;
const pText = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p.toPrecision(2)}`);

/** PSI bands the verdict (pass < warn ≤ PSI < fail ≤ PSI); the chi-square test may add a warning. */
export function driftCheck(
  attribute: ProfileAttribute,
  previous: BucketCounts,
  current: BucketCounts,
  t: Pick<BaselineThresholds, 'driftWarnPsi' | 'driftFailPsi'>,
): CheckResult {
  const { psi, buckets } = populationStabilityIndex(previous, current);
  const chi = chiSquareHomogeneity(previous, current);
  const moved = [...buckets].sort(
    (a, b) =>
      Math.abs(b.currentShare - b.previousShare) - Math.abs(a.currentShare - a.previousShare) ||
      (a.bucket < b.bucket ? -1 : 1),
  )[0];
  const verdict = worstVerdict([bandAbove(psi, t.driftWarnPsi, t.driftFailPsi), chiSquareVerdict(chi)]);
  const shifted = moved && Math.abs(moved.currentShare - moved.previousShare) >= 0.001;
  const largest = shifted
    ? `; largest move ${moved.bucket} ${pct(moved.previousShare)} → ${pct(moved.currentShare)}`
    : '; no bucket moved';
  const chiText =
    chi.degreesOfFreedom === 0
      ? 'no chi-square test (fewer than two buckets)'
      : `chi² ${round(chi.statistic, 1)} on ${chi.degreesOfFreedom} df, ${pText(chi.pValue)}, Cramér's V ${round(chi.cramersV, 3)} (warns only when p < ${CHI_SQUARE_P_BELOW} and V ≥ ${CHI_SQUARE_MIN_CRAMERS_V})`;
  return {
    name: 'drift',
    subject: attribute,
    verdict,
    reason: `PSI ${round(psi, 3)} of ${attribute} against the published members (warn at ${t.driftWarnPsi}, fail at ${t.driftFailPsi})${largest}; ${chiText}`,
    figures: {
      psi: round(psi, 4),
      chiSquare: round(chi.statistic, 2),
      degreesOfFreedom: chi.degreesOfFreedom,
      pValue: Number(chi.pValue.toPrecision(3)),
      cramersV: round(chi.cramersV, 4),
      buckets: buckets.length,
      largestMove: shifted ? moved.bucket : null,
      largestMovePts: shifted ? round((moved.currentShare - moved.previousShare) * 100) : null,
    },
    thresholds: {
      warnPsi: t.driftWarnPsi,
      failPsi: t.driftFailPsi,
      chiSquarePBelow: CHI_SQUARE_P_BELOW,
      chiSquareMinCramersV: CHI_SQUARE_MIN_CRAMERS_V,
    },
    details: { buckets: buckets.map((b) => ({ bucket: b.bucket, previous: b.previous, current: b.current })) },
  };
}

/** One drift check per key attribute; a single passing one when there is nothing to compare. */
export function driftChecks(
  previous: SnapshotProfile | null,
  current: SnapshotProfile,
  t: Pick<BaselineThresholds, 'driftWarnPsi' | 'driftFailPsi'>,
): CheckResult[] {
  const thresholds = { warnPsi: t.driftWarnPsi, failPsi: t.driftFailPsi };
  if (!previous) return [{ name: 'drift', verdict: 'pass', reason: FIRST_PUBLISH, figures: { psi: null }, thresholds }];
  if (previous.members === 0 || current.members === 0) {
    return [
      {
        name: 'drift',
        verdict: 'pass',
        reason: `no distribution to compare: ${previous.members} published and ${current.members} new members`,
        figures: { psi: null },
        thresholds,
      },
    ];
  }
  return PROFILE_ATTRIBUTES.map((a) => driftCheck(a, previous.buckets[a], current.buckets[a], t));
}

const usd = (x: number) => `$${x.toFixed(2)}`;

/** Mean and median value of the members against the published ones: whichever moved more decides. */
export function valueShiftCheck(
  previous: ValueSummary | null,
  current: ValueSummary,
  t: Pick<BaselineThresholds, 'valueShiftWarnPct' | 'valueShiftFailPct'>,
): CheckResult {
  const thresholds = { warnPct: t.valueShiftWarnPct, failPct: t.valueShiftFailPct };
  const none = {
    meanUsd: null,
    previousMeanUsd: null,
    meanShiftPct: null,
    medianUsd: null,
    previousMedianUsd: null,
    medianShiftPct: null,
  };
  if (!previous) return { name: 'value_shift', verdict: 'pass', reason: FIRST_PUBLISH, figures: none, thresholds };
  if (previous.mean === null || previous.median === null || current.mean === null || current.median === null) {
    return {
      name: 'value_shift',
      verdict: 'pass',
      reason: 'no members on one side: no value to compare',
      figures: none,
      thresholds,
    };
  }
  const meanShift = shiftPct(current.mean, previous.mean);
  const medianShift = shiftPct(current.median, previous.median);
  const verdict = worstVerdict(
    [meanShift, medianShift].map((s) => bandAbove(s, t.valueShiftWarnPct, t.valueShiftFailPct)),
  );
  const moved = (now: number, before: number, s: number) =>
    `${usd(before)} → ${usd(now)} (${now >= before ? '+' : '−'}${round(s)}%)`;
  return {
    name: 'value_shift',
    verdict,
    reason: `mean value ${moved(current.mean, previous.mean, meanShift)}, median ${moved(current.median, previous.median, medianShift)} (90-day monetary, USD); warn at ${t.valueShiftWarnPct}%, fail at ${t.valueShiftFailPct}%`,
    figures: {
      meanUsd: round(current.mean, 2),
      previousMeanUsd: round(previous.mean, 2),
      meanShiftPct: round(meanShift),
      medianUsd: round(current.median, 2),
      previousMedianUsd: round(previous.median, 2),
      medianShiftPct: round(medianShift),
    },
    thresholds,
  };
}
