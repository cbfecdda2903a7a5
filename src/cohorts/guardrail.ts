import type { CohortTier } from './definition';

// The strategic-cohort guardrail: a strategic cohort is deprecated or deleted only with a reason
// of a sentence. Strategic cohorts feed board reporting and quarterly planning, so taking one
// away must leave an explanation in its history. Every door (API, catalog file, deletion record)
// asks this one rule.

/** The shortest reason accepted: long enough to be a sentence rather than "old" or "n/a". */
export const GUARDRAIL_REASON_MIN = 10;

export type GuardedChange = 'deprecate' | 'delete';

/** A change the guardrail refuses; nothing has been written when it is thrown. */
export class GuardrailRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuardrailRefused';
  }
}

/** The refusal for this change, or undefined when the guardrail lets it through. */
export function guardrailRefusal(
  cohort: { id: string; tier: CohortTier },
  change: GuardedChange,
  reason: string | undefined,
): string | undefined {
  if (cohort.tier !== 'strategic' || (reason?.trim().length ?? 0) >= GUARDRAIL_REASON_MIN) return undefined;
  const verb = change === 'deprecate' ? 'deprecating' : 'deleting';
  return `${cohort.id} is a strategic cohort: ${verb} it needs a reason of a sentence (at least ${GUARDRAIL_REASON_MIN} characters)`;
}

/** Throws GuardrailRefused when the change would take away a strategic cohort without a reason. */
export function enforceGuardrail(
  cohort: { id: string; tier: CohortTier },
  change: GuardedChange,
  reason: string | undefined,
): void {
  const refusal = guardrailRefusal(cohort, change, reason);
  if (refusal) throw new GuardrailRefused(refusal);
}
