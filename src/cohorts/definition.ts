import { z } from 'zod';

/** Traits a rule may test; the SQL column each maps to is in compile.ts (an allow-list). */
export const TraitName = z.enum(['plan', 'country', 'lifecycle_stage', 'signup_at']);

const Window = z.string().regex(/^[1-9]\d{0,3}d$/, 'a window in days such as 7d, 30d or 90d');
const EventType = z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'an event type: lower case letters, digits, _ . -');

const Comparison = z
  .object({ gte: z.number().nonnegative().optional(), lte: z.number().nonnegative().optional() })
  .strict()
  .refine((c) => c.gte !== undefined || c.lte !== undefined, 'give gte, lte or both');

export const EventCondition = z
  .object({ type: EventType, within: Window, count: Comparison })
  .strict();

export const TraitCondition = z
  .object({
    name: TraitName,
    in: z.array(z.string().min(1)).min(1).optional(),
    notIn: z.array(z.string().min(1)).min(1).optional(),
    withinDays: z.number().int().positive().optional(),
  })
  .strict()
  .refine((t) => [t.in, t.notIn, t.withinDays].filter((x) => x !== undefined).length === 1, 'give exactly one of in, notIn, withinDays')
  .refine((t) => t.withinDays === undefined || t.name === 'signup_at', 'withinDays applies to signup_at only');

export type Rule =
  | { all: Rule[] }
  | { any: Rule[] }
  | { none: Rule[] }
  | { event: z.infer<typeof EventCondition> }
  | { trait: z.infer<typeof TraitCondition> };

const RULE_KINDS = ['all', 'any', 'none', 'event', 'trait'] as const;

// One object with optional keys rather than a union, so an error inside a rule keeps its
// path (rule.all.1.trait.name) instead of collapsing into "invalid input".
export const Rule: z.ZodType<Rule> = z.lazy(() =>
  z
    .object({
      all: z.array(Rule).min(1).optional(),
      any: z.array(Rule).min(1).optional(),
      none: z.array(Rule).min(1).optional(),
      event: EventCondition.optional(),
      trait: TraitCondition.optional(),
    })
    .strict()
    .superRefine((rule, ctx) => {
      const given = RULE_KINDS.filter((k) => rule[k] !== undefined);
      if (given.length !== 1) {
        ctx.addIssue({ code: 'custom', message: `a rule is exactly one of ${RULE_KINDS.join(', ')}; got ${given.length ? given.join(' and ') : 'none'}` });
      }
    }) as unknown as z.ZodType<Rule>,
);

export const CohortTier = z.enum(['strategic', 'tactical']);
export type CohortTier = z.infer<typeof CohortTier>;

export const CohortChecks = z
  .object({
    minSize: z.number().int().nonnegative().default(1),
    sizeShiftWarnPct: z.number().positive().default(20),
    sizeShiftFailPct: z.number().positive().default(50),
  })
  .strict();
export type CohortChecks = z.infer<typeof CohortChecks>;

export const CohortDefinition = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{1,63}$/, 'a cohort id: lower-case letters, digits and dashes'),
    name: z.string().min(1),
    purpose: z.string().min(1),
    owner: z.string().min(1),
    tier: CohortTier,
    status: z.enum(['active', 'deprecated']).default('active'),
    rule: Rule,
    checks: CohortChecks.default({ minSize: 1, sizeShiftWarnPct: 20, sizeShiftFailPct: 50 }),
    limitations: z.string().optional(),
  })
  .strict();
export type CohortDefinition = z.infer<typeof CohortDefinition>;
