import type { Verdict } from '../shared';

const SEVERITY: Record<Verdict, number> = { pass: 0, warn: 1, fail: 2 };

/** The most severe of the verdicts; pass when there are none. */
export const worstVerdict = (verdicts: Verdict[]): Verdict =>
  verdicts.reduce<Verdict>((w, v) => (SEVERITY[v] > SEVERITY[w] ? v : w), 'pass');
