import { chiSquarePValue } from './gamma';

// The figures the baseline checks judge: membership overlap, distribution shift, and the
// summary of a trailing baseline. Pure functions over counts, so they are tested by hand.

/** Members per bucket of one attribute, e.g. { free: 120, pro: 30 }. */
export type BucketCounts = Readonly<Record<string, number>>;

/** |A ∩ B| / |A ∪ B|; two empty sets are identical (1). */
export function jaccard(common: number, sizeA: number, sizeB: number): number {
  const union = sizeA + sizeB - common;
  return union === 0 ? 1 : common / union;
}

/**
 * Pseudo-count added to every bucket of both distributions before shares are taken (Jeffreys'
 * ½): a bucket empty on one side would otherwise make ln(0) and an infinite PSI. It moves a
 * share by at most ½ / N, so it only matters for small cohorts, where it damps noise.
 */
export const PSI_PSEUDO_COUNT = 0.5;

export interface BucketShift {
  bucket: string;
  previous: number;
  current: number;
  /** Smoothed shares, as the PSI uses them. */
  previousShare: number;
  currentShare: number;
}

/**
 * Population Stability Index of `current` against `previous`: Σ (c − p) · ln(c / p) over the
 * buckets either side has, with shares smoothed by PSI_PSEUDO_COUNT. 0 for identical shares.
 */
export function populationStabilityIndex(
  previous: BucketCounts,
  current: BucketCounts,
): { psi: number; buckets: BucketShift[] } {
  const names = [...new Set([...Object.keys(previous), ...Object.keys(current)])].sort();
  const total = (counts: BucketCounts) =>
    names.reduce((sum, b) => sum + (counts[b] ?? 0), 0) + PSI_PSEUDO_COUNT * names.length;
  const previousTotal = total(previous);
  const currentTotal = total(current);
  let psi = 0;
  const buckets = names.map((bucket) => {
    const p = previous[bucket] ?? 0;
    const c = current[bucket] ?? 0;
    const previousShare = (p + PSI_PSEUDO_COUNT) / previousTotal;
    const currentShare = (c + PSI_PSEUDO_COUNT) / currentTotal;
    psi += (currentShare - previousShare) * Math.log(currentShare / previousShare);
    return { bucket, previous: p, current: c, previousShare, currentShare };
  });
  return { psi, buckets };
}

export interface ChiSquareTest {
  statistic: number;
  degreesOfFreedom: number;
  pValue: number;
  /** √(χ² / (N · (min(rows, columns) − 1))): the effect size, 0 (same mix) to 1. */
  cramersV: number;
  /** Members on both sides together. */
  n: number;
}

/**
 * Chi-square test of homogeneity of the 2 × k table (previous, current) × buckets, on the raw
 * counts; buckets empty on both sides are left out. Fewer than two buckets, or an empty side,
 * leave nothing to test: statistic 0, p = 1.
 */
export function chiSquareHomogeneity(previous: BucketCounts, current: BucketCounts): ChiSquareTest {
  const names = [...new Set([...Object.keys(previous), ...Object.keys(current)])].filter(
    (b) => (previous[b] ?? 0) + (current[b] ?? 0) > 0,
  );
  const rows = [previous, current].map((counts) => names.map((b) => counts[b] ?? 0));
  const rowTotals = rows.map((r) => r.reduce((a, b) => a + b, 0));
  const n = rowTotals[0]! + rowTotals[1]!;
  if (names.length < 2 || rowTotals.some((t) => t === 0))
    return { statistic: 0, degreesOfFreedom: 0, pValue: 1, cramersV: 0, n };
  let statistic = 0;
  names.forEach((_, j) => {
    const columnTotal = rows[0]![j]! + rows[1]![j]!;
    rows.forEach((row, i) => {
      const expected = (rowTotals[i]! * columnTotal) / n;
      statistic += (row[j]! - expected) ** 2 / expected;
    });
  });
  const degreesOfFreedom = names.length - 1;
  // Two rows: min(rows, columns) − 1 = 1.
  return {
    statistic,
    degreesOfFreedom,
    pValue: chiSquarePValue(statistic, degreesOfFreedom),
    cramersV: Math.sqrt(statistic / n),
    n,
  };
}

export interface SizeSummary {
  n: number;
  median: number;
  mean: number;
  min: number;
  max: number;
}

/** The middle value (the mean of the two middle ones for an even count); null for none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function summarise(values: readonly number[]): SizeSummary | null {
  if (values.length === 0) return null;
  return {
    n: values.length,
    median: median(values)!,
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** |current − previous| as a percentage of previous; growth from 0 counts as 100%, 0 → 0 as 0%. */
export function shiftPct(current: number, previous: number): number {
  if (previous === 0) return current === 0 ? 0 : 100;
  return (Math.abs(current - previous) * 100) / Math.abs(previous);
}
