import { worstVerdict } from '../ingest/verdicts';
import type { CheckResult } from '../shared';
import { shiftPct, summarise } from './statistics';
import { bandAbove, FIRST_PUBLISH, round, type BaselineThresholds } from './thresholds';

// How big the new snapshot is: on its own, against the published one, against the trailing baseline.

export function minSizeCheck(size: number, t: Pick<BaselineThresholds, 'minSize'>): CheckResult {
  const ok = size >= t.minSize;
  return {
    name: 'min_size',
    verdict: ok ? 'pass' : 'fail',
    reason: ok
      ? `${size} members, at least ${t.minSize} required`
      : `only ${size} members, below the minimum of ${t.minSize}`,
    figures: { size },
    thresholds: { minSize: t.minSize },
  };
}

/** An empty cohort is usually a broken rule or missing data, so it fails unless the definition says emptiness is normal. */
export function emptyCheck(size: number, t: Pick<BaselineThresholds, 'allowEmpty'>): CheckResult {
  const thresholds = { allowEmpty: t.allowEmpty ? 1 : 0 };
  if (size > 0)
    return { name: 'empty', verdict: 'pass', reason: `${size} members: not empty`, figures: { size }, thresholds };
  return t.allowEmpty
    ? {
        name: 'empty',
        verdict: 'pass',
        reason: 'no members, which the definition allows (allowEmpty: true)',
        figures: { size },
        thresholds,
      }
    : {
        name: 'empty',
        verdict: 'fail',
        reason: 'no members; an empty cohort fails unless its checks say allowEmpty: true',
        figures: { size },
        thresholds,
      };
}

type ShiftThresholds = Pick<
  BaselineThresholds,
  'sizeShiftWarnPct' | 'sizeShiftFailPct' | 'sizeShiftWarnAbs' | 'sizeShiftFailAbs'
>;

/** Percentage and, when the definition sets them, absolute thresholds: either one raises the verdict. */
export function sizeShiftCheck(size: number, previous: number | null, t: ShiftThresholds): CheckResult {
  const thresholds: Record<string, number> = { warnPct: t.sizeShiftWarnPct, failPct: t.sizeShiftFailPct };
  if (t.sizeShiftWarnAbs !== undefined) thresholds.warnAbs = t.sizeShiftWarnAbs;
  if (t.sizeShiftFailAbs !== undefined) thresholds.failAbs = t.sizeShiftFailAbs;
  if (previous === null) {
    return {
      name: 'size_shift',
      verdict: 'pass',
      reason: FIRST_PUBLISH,
      figures: { size, previous: null, shiftPct: null, change: null },
      thresholds,
    };
  }
  const pct = shiftPct(size, previous);
  const change = size - previous;
  const verdict = worstVerdict([
    bandAbove(pct, t.sizeShiftWarnPct, t.sizeShiftFailPct),
    bandAbove(Math.abs(change), t.sizeShiftWarnAbs ?? Infinity, t.sizeShiftFailAbs ?? Infinity),
  ]);
  const orAbs = (abs: number | undefined) => (abs === undefined ? '' : ` or ${abs} members`);
  return {
    name: 'size_shift',
    verdict,
    reason: `${size >= previous ? 'grew' : 'shrank'} ${round(pct)}% (${previous} → ${size}); warn at ${t.sizeShiftWarnPct}%${orAbs(t.sizeShiftWarnAbs)}, fail at ${t.sizeShiftFailPct}%${orAbs(t.sizeShiftFailAbs)}`,
    figures: { size, previous, shiftPct: round(pct), change },
    thresholds,
  };
}

/**
 * The new size against the median of the last published sizes (the trailing baseline, newest
 * first): one odd publish does not move a median, so a cohort drifting back is seen as normal.
 */
export function sizeVsBaselineCheck(
  size: number,
  baselineSizes: readonly number[],
  t: Pick<BaselineThresholds, 'sizeShiftWarnPct' | 'sizeShiftFailPct' | 'baselineWindow'>,
): CheckResult {
  const thresholds = { warnPct: t.sizeShiftWarnPct, failPct: t.sizeShiftFailPct, window: t.baselineWindow };
  const s = summarise(baselineSizes);
  if (!s)
    return {
      name: 'size_vs_baseline',
      verdict: 'pass',
      reason: FIRST_PUBLISH,
      figures: { size, n: 0, median: null, mean: null, min: null, max: null, shiftPct: null },
      thresholds,
    };
  const pct = shiftPct(size, s.median);
  return {
    name: 'size_vs_baseline',
    verdict: bandAbove(pct, t.sizeShiftWarnPct, t.sizeShiftFailPct),
    reason: `${size} members is ${round(pct)}% ${size >= s.median ? 'above' : 'below'} the median ${s.median} of the last ${s.n} published (${s.min}–${s.max}); warn at ${t.sizeShiftWarnPct}%, fail at ${t.sizeShiftFailPct}%`,
    figures: { size, n: s.n, median: s.median, mean: round(s.mean), min: s.min, max: s.max, shiftPct: round(pct) },
    thresholds,
  };
}
