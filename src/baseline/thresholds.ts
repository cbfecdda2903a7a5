import { CHECK_DEFAULTS, CohortChecks } from '../cohorts/definition';
import type { Verdict } from '../shared';

/** A cohort's `checks` with every default applied: what the checks compare against. */
export type BaselineThresholds = Omit<CohortChecks, keyof typeof CHECK_DEFAULTS> & {
  -readonly [K in keyof typeof CHECK_DEFAULTS]: (typeof CHECK_DEFAULTS)[K] extends boolean ? boolean : number;
};

/** Parses a definition's stored `checks` (absent in old versions) and fills in the defaults. */
export function thresholdsOf(checks: unknown): BaselineThresholds {
  const given = Object.fromEntries(Object.entries(CohortChecks.parse(checks ?? {})).filter(([, v]) => v !== undefined));
  return { ...CHECK_DEFAULTS, ...given } as BaselineThresholds;
}

/** warn from `warn` up, fail from `fail` up (both inclusive). */
export const bandAbove = (value: number, warn: number, fail: number): Verdict =>
  value >= fail ? 'fail' : value >= warn ? 'warn' : 'pass';

/** warn below `warn`, fail below `fail` (a value at the threshold is not below it). */
export const bandBelow = (value: number, warn: number, fail: number): Verdict =>
  value < fail ? 'fail' : value < warn ? 'warn' : 'pass';

/** A figure as people read it: at most `digits` decimals, no trailing zeros. */
export const round = (x: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export const FIRST_PUBLISH = 'first publish: no baseline to compare with yet';
