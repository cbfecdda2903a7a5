import type { CheckResult } from '../shared';
import { jaccard } from './statistics';
import { bandBelow, FIRST_PUBLISH, round, type BaselineThresholds } from './thresholds';

// Who moved: churn against the published membership, and the breaker on mass removals.

/** Sizes of the new and the published membership and how many members they share (counted in SQL). */
export interface MembershipOverlap {
  size: number;
  previousSize: number;
  common: number;
}

const pctOf = (part: number, whole: number) => (whole === 0 ? null : round((part * 100) / whole));

export function churnCheck(
  o: MembershipOverlap | null,
  t: Pick<BaselineThresholds, 'jaccardWarnBelow' | 'jaccardFailBelow'>,
): CheckResult {
  const thresholds = { warnBelow: t.jaccardWarnBelow, failBelow: t.jaccardFailBelow };
  if (!o)
    return {
      name: 'churn',
      verdict: 'pass',
      reason: FIRST_PUBLISH,
      figures: { jaccard: null, adds: null, removes: null, addsPct: null, removesPct: null },
      thresholds,
    };
  const adds = o.size - o.common;
  const removes = o.previousSize - o.common;
  const j = jaccard(o.common, o.size, o.previousSize);
  const figures = {
    jaccard: round(j, 3),
    adds,
    removes,
    addsPct: pctOf(adds, o.previousSize),
    removesPct: pctOf(removes, o.previousSize),
  };
  if (o.previousSize === 0) {
    return {
      name: 'churn',
      verdict: 'pass',
      reason: `the published snapshot was empty: ${adds} members added, no membership to compare with`,
      figures,
      thresholds,
    };
  }
  return {
    name: 'churn',
    verdict: bandBelow(j, t.jaccardWarnBelow, t.jaccardFailBelow),
    reason: `Jaccard ${round(j, 3)} with the published membership (warn below ${t.jaccardWarnBelow}, fail below ${t.jaccardFailBelow}); +${adds} / −${removes} members (${figures.addsPct}% / ${figures.removesPct}% of ${o.previousSize})`,
    figures,
    thresholds,
  };
}

/**
 * The breaker: removing more than maxRemovalPct of the published members, or emptying a cohort
 * that had members, fails whatever the other thresholds allow (allowEmpty included); such a
 * publish would tell every destination to drop those customers at once.
 */
export function blastRadiusCheck(
  o: MembershipOverlap | null,
  t: Pick<BaselineThresholds, 'maxRemovalPct'>,
): CheckResult {
  const thresholds = { maxRemovalPct: t.maxRemovalPct };
  if (!o)
    return {
      name: 'blast_radius',
      verdict: 'pass',
      reason: FIRST_PUBLISH,
      figures: { removes: null, previous: null, removedPct: null },
      thresholds,
    };
  const removes = o.previousSize - o.common;
  const removedPct = pctOf(removes, o.previousSize);
  const figures = { removes, previous: o.previousSize, removedPct };
  if (o.previousSize === 0)
    return {
      name: 'blast_radius',
      verdict: 'pass',
      reason: 'the published snapshot was empty: nothing to remove',
      figures,
      thresholds,
    };
  if (o.size === 0) {
    return {
      name: 'blast_radius',
      verdict: 'fail',
      reason: `emptied: all ${o.previousSize} published members would be removed; emptying a cohort always fails`,
      figures,
      thresholds,
    };
  }
  const tripped = removes * 100 > t.maxRemovalPct * o.previousSize;
  return {
    name: 'blast_radius',
    verdict: tripped ? 'fail' : 'pass',
    reason: tripped
      ? `removes ${removes} of ${o.previousSize} published members (${removedPct}%), above the breaker at ${t.maxRemovalPct}%: always fails`
      : `removes ${removes} of ${o.previousSize} published members (${removedPct}%); the breaker trips above ${t.maxRemovalPct}%`,
    figures,
    thresholds,
  };
}
