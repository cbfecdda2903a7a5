import { z } from 'zod';
import { ErrorBody, guarded, Moment } from './common';
import { route } from './contract';

// Experiments and holdouts: create one on a cohort, list them, read a report (per-arm KPI, lift
// with its interval, p-values, the sample ratio check, every reallocation), stop one, and plan
// the sample size an experiment needs.

export const ExperimentId = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,63}$/, 'an experiment id: lower-case letters, digits and dashes')
  .meta({ description: 'An experiment id.', example: 'winback-email' });
const ExperimentParams = z.object({ id: ExperimentId }).strict();

export const ExperimentSummary = z
  .object({
    id: z.string(),
    cohort: z.string(),
    hypothesis: z.string(),
    owner: z.string(),
    status: z.enum(['running', 'stopped']),
    arms: z.array(
      z.object({ id: z.string(), share: z.number(), holdout: z.boolean(), description: z.string().optional() }),
    ),
    kpi: z.record(z.string(), z.unknown()),
    adaptive: z.object({ floor: z.number(), draws: z.number(), warmup: z.number() }).nullable(),
    createdBy: z.string(),
    rationale: z.string(),
    createdAt: z.string(),
    stoppedAt: z.string().nullable(),
    stoppedBy: z.string().nullable(),
    stopReason: z.string().nullable(),
  })
  .meta({ id: 'ExperimentSummary' });
export type ExperimentSummary = z.output<typeof ExperimentSummary>;

const Interval = z.object({ lower: z.number(), upper: z.number() });

const Comparison = z.object({
  arm: z.string(),
  against: z.string(),
  adjustedPValue: z.number().nullable(),
  significant: z.boolean(),
  figures: z.object({
    absoluteLift: z.number(),
    absoluteLiftInterval: Interval.nullable().meta({ description: 'At 1 − alpha (95% by default).' }),
    relativeLift: z.number().nullable(),
    relativeLiftInterval: Interval.nullable(),
    pValue: z.number().nullable(),
    controlRate: z.number().optional().meta({ description: 'Rates (conversion, retention): two-proportion z test.' }),
    treatmentRate: z.number().optional(),
    z: z.number().nullable().optional(),
    controlMean: z.number().optional().meta({ description: "Means (revenue): Welch's t test." }),
    treatmentMean: z.number().optional(),
    t: z.number().nullable().optional(),
    degreesOfFreedom: z.number().nullable().optional(),
  }),
});

const SampleRatio = z.object({
  statistic: z.number(),
  degreesOfFreedom: z.number(),
  pValue: z.number(),
  mismatch: z.boolean(),
  threshold: z.number(),
  strata: z.array(
    z.object({
      arms: z.array(z.object({ arm: z.string(), observed: z.number(), expected: z.number() })),
      statistic: z.number(),
      degreesOfFreedom: z.number(),
      pValue: z.number(),
      mismatch: z.boolean(),
      threshold: z.number(),
    }),
  ),
});

const Allocation = z.object({
  version: z.number(),
  arms: z.array(z.object({ arm: z.string(), share: z.number() })),
  runId: z.string().nullable(),
  createdAt: z.string(),
});

const Reallocation = z.object({
  runId: z.string(),
  decision: z.enum(['reallocated', 'warming-up']),
  fromVersion: z.number(),
  toVersion: z.number(),
  seed: z.string(),
  decidedAt: z.string(),
  evidence: z.object({
    draws: z.number(),
    prior: z.object({ alpha: z.number(), beta: z.number() }),
    holdout: z.object({ arm: z.string(), share: z.number() }).nullable(),
    arms: z.array(
      z.object({
        arm: z.string(),
        successes: z.number(),
        failures: z.number(),
        posteriorMean: z.number(),
        probabilityBest: z.number(),
        floor: z.number(),
        previousShare: z.number(),
        share: z.number(),
      }),
    ),
  }),
});

export const ExperimentReportBody = z
  .object({
    experiment: ExperimentSummary,
    asOf: z.string(),
    control: z.string(),
    alpha: z.number(),
    arms: z.array(
      z.object({
        arm: z.string(),
        holdout: z.boolean(),
        assigned: z.number(),
        measured: z.number(),
        successes: z.number().optional(),
        mean: z.number().optional(),
        variance: z.number().optional(),
        value: z.number().nullable().meta({ description: 'The rate (conversion, retention) or mean (revenue).' }),
      }),
    ),
    comparisons: z.array(Comparison),
    sampleRatio: SampleRatio,
    cautions: z.array(z.string()),
    allocations: z.array(Allocation),
    reallocations: z.array(Reallocation),
  })
  .meta({ id: 'ExperimentReport' });
export type ExperimentReportBody = z.output<typeof ExperimentReportBody>;

export const SampleSizePlan = z.object({
  baselineRate: z.number(),
  mde: z.number(),
  alpha: z.number(),
  power: z.number(),
  controlPerTreatment: z.number(),
  treatment: z.number().meta({ description: 'Members needed in the treatment arm.' }),
  control: z.number().meta({ description: 'Members needed in the control arm.' }),
  total: z.number(),
  achievedPower: z.number(),
});

export const createExperiment = route({
  method: 'POST',
  url: '/experiments',
  roles: ['operator'],
  tags: ['experiments'],
  summary: 'Start an experiment on a cohort: its members are split into arms from the next publish on',
  description:
    '201 with the experiment; 400 with every problem of the YAML (file:line: path); 404 for a cohort without a recorded definition; 409 for an id taken or a cohort that already carries a running experiment. Audited.',
  schema: {
    body: z
      .object({
        yaml: z.string().min(1).meta({ description: 'The experiment definition as YAML (docs/experiments.md).' }),
        rationale: z.string().trim().min(10, 'say why this experiment is run, in a sentence'),
      })
      .strict(),
    response: { 201: ExperimentSummary, 404: ErrorBody, 409: ErrorBody, ...guarded },
  },
});

export const listExperiments = route({
  method: 'GET',
  url: '/experiments',
  roles: ['viewer'],
  tags: ['experiments'],
  summary: 'Every experiment, running and stopped',
  schema: { response: { 200: z.object({ experiments: z.array(ExperimentSummary) }), ...guarded } },
});

export const experimentReport = route({
  method: 'GET',
  url: '/experiments/:id/report',
  roles: ['viewer'],
  tags: ['experiments'],
  summary:
    'Per arm its size and KPI, each arm against the control with lift, 95% interval and p-value, the sample ratio check and every reallocation',
  schema: {
    params: ExperimentParams,
    querystring: z.object({ asOf: Moment.optional() }).strict(),
    response: { 200: ExperimentReportBody, 404: ErrorBody, ...guarded },
  },
});

export const stopExperiment = route({
  method: 'POST',
  url: '/experiments/:id/stop',
  roles: ['operator'],
  tags: ['experiments'],
  summary: 'Stop a running experiment: from the next publish on its holdout is delivered like everyone. Audited.',
  schema: {
    params: ExperimentParams,
    body: z.object({ reason: z.string().trim().min(10, 'say why the experiment stops, in a sentence') }).strict(),
    response: { 200: ExperimentSummary, 404: ErrorBody, 409: ErrorBody, ...guarded },
  },
});

export const planExperiment = route({
  method: 'GET',
  url: '/experiments/plan',
  roles: ['viewer'],
  tags: ['experiments'],
  summary: 'Members needed to detect an absolute change in a conversion rate (two-sided two-proportion z test)',
  schema: {
    querystring: z
      .object({
        baselineRate: z.coerce.number().gt(0).lt(1),
        mde: z.coerce
          .number()
          .refine((x) => x !== 0, 'the change to detect cannot be 0')
          .meta({ description: 'Absolute change, e.g. 0.01 for 5% → 6%.' }),
        power: z.coerce.number().gt(0).lt(1).default(0.8),
        alpha: z.coerce.number().gt(0).lt(0.5).default(0.05),
        controlPerTreatment: z.coerce
          .number()
          .gt(0)
          .default(1)
          .meta({ description: 'Control members per treatment member: 1/9 for a 10% holdout against 90%.' }),
      })
      .strict()
      .refine((q) => q.baselineRate + q.mde > 0 && q.baselineRate + q.mde < 1, {
        path: ['mde'],
        message: 'baselineRate + mde must lie between 0 and 1',
      }),
    response: { 200: SampleSizePlan, ...guarded },
  },
});
