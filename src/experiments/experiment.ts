import { z } from 'zod';
import { parseYamlInput } from '../yaml-input';

// An experiment on a cohort: its members are split into arms by a fixed hash (assignment.ts),
// holdout arms are never sent to activation destinations, and a KPI measured after each
// member's assignment compares the arms (analysis.ts). Optionally the treatment arms' shares
// follow the evidence (adaptive-allocation.ts).

const Id = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,63}$/, 'lower-case letters, digits and dashes, 2–64, starting with a letter');
const EventType = z.string().regex(/^[a-z][a-z0-9_.]{0,63}$/, 'an event type such as purchase or trial.converted');
const ArmId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,63}$/, 'lower-case letters, digits and dashes, 1–64, starting with a letter');
const Days = z.number().int().min(1).max(365);
/** Shares must add up to 1; this much rounding (e.g. three arms of 0.3333333333) is forgiven. */
export const SHARE_SUM_TOLERANCE = 1e-9;

export const Arm = z
  .object({
    id: ArmId,
    share: z.number().gt(0).lt(1),
    /** A holdout arm's members are assigned and measured but never delivered to activation destinations. */
    holdout: z.boolean().default(false),
    /** Adaptive allocation never takes this arm below this share (default: adaptive.floor). */
    floor: z.number().gt(0).lt(1).optional(),
    description: z.string().max(500).optional(),
  })
  .strict();
export type Arm = z.infer<typeof Arm>;

/**
 * What the experiment measures, always counted from each member's own assignment time:
 * - conversion: the member had an `event` within `withinDays` days (a rate; z test);
 * - revenue: billing revenue in USD within `withinDays` days, 0 for none (a mean; Welch's t);
 * - retention: the member had an `event` (default: any product event) in the `windowDays`
 *   days starting `afterDays` days after assignment (a rate; z test).
 */
export const Kpi = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('conversion'), event: EventType, withinDays: Days }).strict(),
  z.object({ kind: z.literal('revenue'), withinDays: Days }).strict(),
  z
    .object({ kind: z.literal('retention'), event: EventType.optional(), afterDays: Days, windowDays: Days.default(7) })
    .strict(),
]);
export type Kpi = z.infer<typeof Kpi>;

/** For messages: 0.30000000000000004 reads as 0.3. */
const round = (x: number) => Number(x.toFixed(12));

export const isBinaryKpi = (kpi: Kpi) => kpi.kind !== 'revenue';

export const AdaptiveAllocation = z
  .object({
    /** The least share any non-holdout arm keeps, unless the arm names its own floor. */
    floor: z.number().gt(0).lt(1).default(0.05),
    /** Monte Carlo draws from the posteriors per reallocation. */
    draws: z.number().int().min(1_000).max(1_000_000).default(20_000),
    /** Members with a measured KPI each non-holdout arm needs before its share first moves. */
    warmup: z.number().int().min(0).default(100),
  })
  .strict();
export type AdaptiveAllocation = z.infer<typeof AdaptiveAllocation>;

const ExperimentShape = z
  .object({
    id: Id,
    /** The cohort whose members are split. */
    cohort: Id,
    hypothesis: z.string().min(10, 'say in a sentence what the experiment should show'),
    owner: z.string().min(1),
    /** Fixed for the experiment's life: changing it would move every member. No ':' (it separates salt and id). */
    salt: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8–64 letters, digits, _ or -'),
    arms: z.array(Arm).min(2, 'an experiment needs at least two arms'),
    /** The arm every other arm is compared with; defaults to the holdout arm. */
    control: ArmId.optional(),
    kpi: Kpi,
    alpha: z.number().gt(0).lt(0.5).default(0.05),
    /** p-value below which the sample ratio check calls the split broken. */
    srmThreshold: z.number().gt(0).lt(0.5).default(0.001),
    adaptive: AdaptiveAllocation.optional(),
  })
  .strict();

export const ExperimentDefinition = ExperimentShape.superRefine((e, ctx) => {
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const ids = e.arms.map((a) => a.id);
  ids.forEach((id, i) => {
    if (ids.indexOf(id) !== i) issue(['arms', i, 'id'], `arm "${id}" is named twice`);
  });
  const sum = e.arms.reduce((s, a) => s + a.share, 0);
  if (Math.abs(sum - 1) > SHARE_SUM_TOLERANCE)
    issue(['arms'], `the arms' shares must add up to 1, they add up to ${round(sum)}`);
  const holdouts = e.arms.filter((a) => a.holdout);
  if (holdouts.length > 1) issue(['arms'], `at most one holdout arm, got ${holdouts.map((a) => a.id).join(', ')}`);
  if (holdouts.length === e.arms.length) issue(['arms'], 'every arm is a holdout: nothing would ever be delivered');
  if (e.control !== undefined && !ids.includes(e.control))
    issue(['control'], `no arm "${e.control}" (arms: ${ids.join(', ')})`);
  if (e.control === undefined && holdouts.length === 0)
    issue(['control'], 'name the control arm (it defaults to the holdout arm, and there is none)');
  if (e.adaptive) {
    if (!isBinaryKpi(e.kpi))
      issue(['adaptive'], 'adaptive allocation needs a conversion or retention KPI (Beta-Binomial); revenue is a mean');
    const moving = e.arms.map((a, i) => ({ a, i })).filter(({ a }) => !a.holdout);
    if (moving.length < 2) issue(['adaptive'], 'adaptive allocation needs at least two arms that are not holdouts');
    const floors = moving.reduce((s, { a }) => s + (a.floor ?? e.adaptive!.floor), 0);
    const movingShare = moving.reduce((s, { a }) => s + a.share, 0);
    if (floors > movingShare + SHARE_SUM_TOLERANCE)
      issue(
        ['adaptive', 'floor'],
        `the floors add up to ${round(floors)}, more than the ${round(movingShare)} the non-holdout arms share`,
      );
    for (const { a, i } of moving)
      if (a.floor !== undefined && a.floor > a.share + SHARE_SUM_TOLERANCE)
        issue(['arms', i, 'floor'], `a floor (${a.floor}) above the arm's starting share (${a.share})`);
  } else
    e.arms.forEach((a, i) => {
      if (a.floor !== undefined) issue(['arms', i, 'floor'], 'a floor only applies with adaptive allocation');
    });
});
export type ExperimentDefinition = z.infer<typeof ExperimentDefinition>;

/** The arm the others are compared with. */
export const controlArm = (e: ExperimentDefinition): string => e.control ?? e.arms.find((a) => a.holdout)!.id;

/** Parses an experiment file; throws InvalidInputError naming file, line, path and value. */
export const parseExperiment = (text: string, file: string): ExperimentDefinition =>
  parseYamlInput(ExperimentDefinition, text, file, 'experiment').value;
