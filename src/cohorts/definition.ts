import { z } from 'zod';
import { GUARDRAIL_REASON_MIN } from './guardrail';
import { ruleSizeProblems } from './limits';
import { isScoreMeasure, PROBABILITY_SCORES, SCORE_MEASURES, type ScoreMeasure } from './score-measures';

// The cohort definition language (docs/cohorts.md). Every name a rule can use is in an enum
// here; compile.ts maps each to the one column or expression it means.

/** Traits a rule may test, read as they were at asOf (crm_history). */
export const TraitName = z.enum(['plan', 'country', 'lifecycle_stage', 'signup_at', 'consent_marketing']);
export type TraitName = z.infer<typeof TraitName>;

/** The event properties a rule may filter on: low-cardinality labels of the shipped sources (docs/cohorts.md). */
export const PropertyName = z.enum(['currency', 'feature', 'format', 'method', 'page', 'priority']);

/** Per-customer measures derived from events and traits; docs/cohorts.md says how each is computed. */
export const MeasureName = z.enum([
  'recency_days',
  'frequency',
  'monetary',
  'rfm_r',
  'rfm_f',
  'rfm_m',
  'rfm_score',
  'velocity',
  'support_intensity',
  'failed_payments',
  'upgrades',
  'downgrades',
  'refunds',
  'tenure_days',
  ...SCORE_MEASURES,
]);
export type MeasureName = z.infer<typeof MeasureName>;

export const Window = z.string().regex(/^[1-9]\d{0,3}d$/, 'a window in whole days such as 7d, 30d or 90d');
export const windowDays = (window: string) => Number(window.slice(0, -1));

const EventType = z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'an event type: lower case letters, digits, _ . -');
const CohortId = z.string().regex(/^[a-z][a-z0-9-]{1,63}$/, 'a cohort id: lower-case letters, digits and dashes');

const BOUND_KEYS = ['gte', 'gt', 'lte', 'lt'] as const;

/**
 * A bound on a figure that is never negative (a count, a number of days): a negative bound
 * always holds or never does, so it is a mistake, refused with the figure it bounds.
 */
const nonNegative = (figure: string) =>
  z.number().min(0, `${figure} is never negative: a bound below 0 always holds or never holds`);

/** At least one bound; a value meets it when every bound given holds. */
const boundsOf = (bound: z.ZodNumber) =>
  z
    .object({ gte: bound.optional(), gt: bound.optional(), lte: bound.optional(), lt: bound.optional() })
    .strict()
    .refine((b) => BOUND_KEYS.some((k) => b[k] !== undefined), 'give at least one of gte, gt, lte, lt');
const Bounds = boundsOf(z.number());
export type Bounds = z.infer<typeof Bounds>;

/** first/last occurrence: `within: 14d` (inside the window) or `before: 30d` (earlier than the window). */
const Occurrence = z
  .object({ within: Window.optional(), before: Window.optional() })
  .strict()
  .refine((o) => (o.within === undefined) !== (o.before === undefined), 'give exactly one of within, before');
export type Occurrence = z.infer<typeof Occurrence>;

const AGGREGATES = ['count', 'sum', 'distinct_days', 'first', 'last'] as const;

export const EventCondition = z
  .object({
    type: EventType.optional(),
    types: z.array(EventType).min(1).optional(),
    where: z
      .record(z.string(), z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]))
      .superRefine((where, ctx) => {
        for (const key of Object.keys(where)) {
          if (!PropertyName.safeParse(key).success) {
            ctx.addIssue({
              code: 'custom',
              path: [key],
              message: `"${key}" is not a filterable property; rules can filter on ${PropertyName.options.join(', ')} (low-cardinality labels of the sources)`,
            });
          }
        }
      })
      .optional(),
    within: Window.optional(),
    count: boundsOf(nonNegative('a count')).optional(),
    sum: Bounds.optional(),
    distinct_days: boundsOf(nonNegative('a number of days')).optional(),
    first: Occurrence.optional(),
    last: Occurrence.optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    if ((e.type === undefined) === (e.types === undefined))
      ctx.addIssue({ code: 'custom', path: ['type'], message: 'give exactly one of type, types' });
    const given = AGGREGATES.filter((k) => e[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: `an event condition tests exactly one of ${AGGREGATES.join(', ')}; got ${given.length ? given.join(' and ') : 'none'}`,
      });
      return;
    }
    const occurrence = given[0] === 'first' || given[0] === 'last';
    if (occurrence && e.within !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['within'],
        message: `${given[0]} carries its own window (${given[0]}: { within: 7d } or { before: 30d })`,
      });
    if (!occurrence && e.within === undefined)
      ctx.addIssue({ code: 'custom', path: ['within'], message: `${given[0]} needs a window, such as within: 30d` });
  });
export type EventCondition = z.infer<typeof EventCondition>;

export const TraitCondition = z
  .object({
    name: TraitName,
    in: z.array(z.string().min(1)).min(1).optional(),
    notIn: z.array(z.string().min(1)).min(1).optional(),
    is: z.boolean().optional(),
    within: Window.optional(),
    before: Window.optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    const given = (['in', 'notIn', 'is', 'within', 'before'] as const).filter((k) => t[k] !== undefined);
    if (given.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `a trait condition gives exactly one of in, notIn, is, within, before; got ${given.length ? given.join(' and ') : 'none'}`,
      });
    const dated = t.name === 'signup_at';
    const flag = t.name === 'consent_marketing';
    for (const k of given) {
      if ((k === 'within' || k === 'before') && !dated)
        ctx.addIssue({ code: 'custom', path: [k], message: `${k} applies to signup_at only` });
      if (k === 'is' && !flag)
        ctx.addIssue({ code: 'custom', path: [k], message: 'is applies to consent_marketing only' });
      if ((k === 'in' || k === 'notIn') && (dated || flag))
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: `${t.name} is tested with ${dated ? 'within or before' : 'is'}`,
        });
    }
  });
export type TraitCondition = z.infer<typeof TraitCondition>;

const WINDOWED: readonly MeasureName[] = [
  'frequency',
  'monetary',
  'rfm_f',
  'rfm_m',
  'rfm_score',
  'velocity',
  'support_intensity',
  'failed_payments',
  'upgrades',
  'downgrades',
  'refunds',
];
export const measureIsWindowed = (name: MeasureName) => WINDOWED.includes(name);

/** Measures that can be negative: net revenue after refunds, and tenure of a signup dated after asOf. */
const SIGNED: readonly MeasureName[] = ['monetary', 'tenure_days'];

export const MeasureCondition = z
  .object({
    name: MeasureName,
    window: Window.optional(),
    /** A score's quantile among the customers scored at asOf (0–1) instead of its value. */
    as: z.enum(['value', 'quantile']).optional(),
    gte: z.number().optional(),
    gt: z.number().optional(),
    lte: z.number().optional(),
    lt: z.number().optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    if ([m.gte, m.gt, m.lte, m.lt].every((v) => v === undefined))
      ctx.addIssue({ code: 'custom', message: 'give at least one of gte, gt, lte, lt' });
    if (m.window !== undefined && !measureIsWindowed(m.name))
      ctx.addIssue({ code: 'custom', path: ['window'], message: `${m.name} takes no window` });
    if (m.as !== undefined && !isScoreMeasure(m.name))
      ctx.addIssue({
        code: 'custom',
        path: ['as'],
        message: `${m.name} is not a score: only ${SCORE_MEASURES.join(', ')} take as: quantile`,
      });
    const share = m.as === 'quantile' || PROBABILITY_SCORES.includes(m.name as ScoreMeasure);
    for (const k of BOUND_KEYS) {
      const v = m[k];
      if (share && v !== undefined && v > 1)
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: `${m.name}${m.as === 'quantile' ? ' as quantile' : ''} lies between 0 and 1: a bound of ${v} always holds or never holds`,
        });
    }
    if (SIGNED.includes(m.name)) return;
    for (const k of BOUND_KEYS) {
      if ((m[k] ?? 0) < 0)
        ctx.addIssue({
          code: 'custom',
          path: [k],
          message: `${m.name} is never negative: a bound below 0 always holds or never holds`,
        });
    }
  });
export type MeasureCondition = z.infer<typeof MeasureCondition>;

export type Rule =
  | { all: Rule[] }
  | { any: Rule[] }
  | { none: Rule[] }
  | { in_cohort: string }
  | { event: EventCondition }
  | { trait: TraitCondition }
  | { measure: MeasureCondition };

export const RULE_KINDS = ['all', 'any', 'none', 'in_cohort', 'event', 'trait', 'measure'] as const;

// One object with optional keys rather than a union, so an error inside a rule keeps its
// path (rule.all.1.trait.name) instead of collapsing into "invalid input".
export const Rule: z.ZodType<Rule> = z.lazy(
  () =>
    z
      .object({
        all: z.array(Rule).min(1).optional(),
        any: z.array(Rule).min(1).optional(),
        none: z.array(Rule).min(1).optional(),
        in_cohort: CohortId.optional(),
        event: EventCondition.optional(),
        trait: TraitCondition.optional(),
        measure: MeasureCondition.optional(),
      })
      .strict()
      .superRefine((rule, ctx) => {
        const given = RULE_KINDS.filter((k) => rule[k] !== undefined);
        if (given.length !== 1) {
          ctx.addIssue({
            code: 'custom',
            message: `a rule is exactly one of ${RULE_KINDS.join(', ')}; got ${given.length ? given.join(' and ') : 'none'}`,
          });
        }
      }) as unknown as z.ZodType<Rule>,
);

export const CohortTier = z.enum(['strategic', 'tactical']);
export type CohortTier = z.infer<typeof CohortTier>;

/**
 * Defaults of the optional thresholds (docs/cohorts.md). They are applied where the checks run
 * (src/baseline/thresholds.ts), never written into a parsed definition: a definition's content
 * hash covers what it parses to, so a new default must not make every cohort a new version.
 */
export const CHECK_DEFAULTS = {
  allowEmpty: false,
  baselineWindow: 6,
  jaccardWarnBelow: 0.8,
  jaccardFailBelow: 0.5,
  maxRemovalPct: 50,
  driftWarnPsi: 0.1,
  driftFailPsi: 0.25,
  valueShiftWarnPct: 20,
  valueShiftFailPct: 50,
} as const;

const share = z.number().min(0).max(1);

export const CohortChecks = z
  .object({
    minSize: z.number().int().nonnegative().default(1),
    sizeShiftWarnPct: z.number().positive().default(20),
    sizeShiftFailPct: z.number().positive().default(50),
    /** Members gained or lost that warn / fail, whatever the percentage; unset: not checked. */
    sizeShiftWarnAbs: z.number().int().positive().optional(),
    sizeShiftFailAbs: z.number().int().positive().optional(),
    allowEmpty: z.boolean().optional(),
    baselineWindow: z.number().int().min(1).max(36).optional(),
    jaccardWarnBelow: share.optional(),
    jaccardFailBelow: share.optional(),
    maxRemovalPct: z.number().positive().max(100).optional(),
    driftWarnPsi: z.number().positive().optional(),
    driftFailPsi: z.number().positive().optional(),
    valueShiftWarnPct: z.number().positive().optional(),
    valueShiftFailPct: z.number().positive().optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const at = <K extends keyof typeof CHECK_DEFAULTS>(k: K) => (c[k] ?? CHECK_DEFAULTS[k]) as number;
    // Each pair as it will be applied, defaults included: a warn that can never come before its fail is a typo.
    const pairs: Array<[string, number | undefined, string, number | undefined, 'above' | 'below']> = [
      ['sizeShiftWarnAbs', c.sizeShiftWarnAbs, 'sizeShiftFailAbs', c.sizeShiftFailAbs, 'above'],
      ['jaccardWarnBelow', at('jaccardWarnBelow'), 'jaccardFailBelow', at('jaccardFailBelow'), 'below'],
      ['driftWarnPsi', at('driftWarnPsi'), 'driftFailPsi', at('driftFailPsi'), 'above'],
      ['valueShiftWarnPct', at('valueShiftWarnPct'), 'valueShiftFailPct', at('valueShiftFailPct'), 'above'],
    ];
    for (const [warnName, warn, failName, fail, side] of pairs) {
      if (warn === undefined || fail === undefined) continue;
      if (side === 'above' ? warn > fail : warn < fail) {
        ctx.addIssue({
          code: 'custom',
          path: [failName],
          message: `${failName} (${fail}) must be ${side === 'above' ? 'at least' : 'at most'} ${warnName} (${warn}), defaults included`,
        });
      }
    }
  });
export type CohortChecks = z.infer<typeof CohortChecks>;

/** Where the cohort's data comes from, as people read it; checked against the rule's own needs. */
export const DataSource = z.enum(['product', 'crm', 'billing', 'support']);

export const CohortDefinition = z
  .object({
    id: CohortId,
    name: z.string().min(1),
    purpose: z.string().min(1),
    owner: z.string().min(1),
    tier: CohortTier,
    status: z.enum(['active', 'deprecated']).default('active'),
    /** Required to deprecate a strategic cohort: the guardrail. */
    deprecationReason: z.string().trim().min(GUARDRAIL_REASON_MIN, 'say why, in a sentence').optional(),
    rule: Rule,
    /** The sources the rule reads; checked against the rule (catalog-rules.ts). */
    sources: z
      .array(DataSource)
      .min(1)
      .transform((list) => [...new Set(list)].sort()),
    /** Destination names the cohort is published to (issue 6); none yet means "all configured". */
    destinations: z.array(z.string().min(1)).default([]),
    checks: CohortChecks.default({ minSize: 1, sizeShiftWarnPct: 20, sizeShiftFailPct: 50 }),
    /** What the cohort gets wrong or misses: people read it before they rely on it. */
    limitations: z.string().trim().min(1),
  })
  .strict()
  .superRefine((d, ctx) => {
    for (const p of ruleSizeProblems(d.rule)) ctx.addIssue({ code: 'custom', path: p.at, message: p.message });
    if (d.status === 'deprecated' && d.tier === 'strategic' && !d.deprecationReason) {
      ctx.addIssue({
        code: 'custom',
        path: ['deprecationReason'],
        message: 'a strategic cohort is deprecated only with a reason: add deprecationReason',
      });
    }
  });
export type CohortDefinition = z.infer<typeof CohortDefinition>;
