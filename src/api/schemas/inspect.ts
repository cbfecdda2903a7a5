import { z } from 'zod';
import type {
  ExplainAnswer as ExplainAnswerType,
  PreviewAnswer as PreviewAnswerType,
  WhyAnswer as WhyAnswerType,
} from '../../cohorts/inspect';
import { AsOf, CohortId, CohortParams, ErrorBody, guarded, same, type Same } from './common';
import { route } from './contract';

// Inspecting a cohort, publishing and writing nothing: its SQL and plan, its size and a sample,
// and why one customer is or is not a member.

const ExplainedSnapshot = z.object({
  snapshotId: z.string(),
  runId: z.string().meta({ description: 'the run that computed it: its definitions and stored scores are explained' }),
  definitionVersion: z.number(),
  published: z.boolean().meta({ description: "whether it is the cohort's current published snapshot" }),
});

const ScoringNote = z
  .object({
    runId: z.string().nullable().meta({ description: 'the run whose run_scores hold the scores; null: scored now' }),
    models: z.record(z.string(), z.string()).meta({ description: 'the model version of each kind the rule reads' }),
    text: z.string().meta({ example: 'scored now with model version churn-v4: no run computed this asOf' }),
  })
  .nullable()
  .meta({
    description: "where the scores come from (the snapshot's run, or computed now); null when the rule reads none",
  });

export const ExplainAnswer = z.object({
  cohortId: z.string(),
  asOf: z.string(),
  readsFrom: z
    .enum(['state', 'events'])
    .meta({ description: 'where the measures are read: the derived customer state, or the raw rows' }),
  sql: z.string(),
  params: z.array(z.unknown()),
  plan: z.string(),
  scores: z
    .array(z.object({ measure: z.string(), modelId: z.string().nullable(), formula: z.string() }))
    .meta({ description: 'each score the rule reads: how it is computed and the model version computing it' }),
  snapshot: ExplainedSnapshot.nullable().meta({
    description: 'the stored snapshot computed at this asOf, explained as its run computed it; null for an ad hoc asOf',
  }),
  scoring: ScoringNote,
});

export const PreviewAnswer = z.object({
  cohortId: z.string(),
  asOf: z.string(),
  size: z.number(),
  sample: z.array(z.string()),
});

const WhyKind = z.enum(['all', 'any', 'none', 'in_cohort', 'event', 'trait', 'measure']);

/** One condition of the rule tree with the figures that decided it. */
export const WhyNode = z
  .object({
    at: z.string(),
    kind: WhyKind,
    holds: z.boolean(),
    text: z.string().meta({ example: 'event login within 30d count = 7 (gte 5)' }),
    get children(): z.ZodOptional<z.ZodArray<typeof WhyNode>> {
      return z.array(WhyNode).optional();
    },
  })
  .meta({ id: 'WhyNode' });

export const WhyAnswer = z.object({
  cohortId: z.string(),
  customerId: z.string(),
  asOf: z.string(),
  member: z.boolean().meta({ description: "The cohort's SQL for this one customer: the authority." }),
  existedAtAsOf: z.boolean(),
  rule: WhyNode.nullable(),
  scores: z
    .array(
      z.object({
        measure: z.enum(['p_alive', 'expected_purchases_90d', 'clv_12m', 'churn_probability', 'upgrade_probability']),
        modelId: z.string(),
        value: z.number().nullable(),
        quantile: z.number().nullable(),
        inputs: z.record(z.string(), z.union([z.number(), z.string(), z.null()])).nullable(),
        missing: z.string().nullable().meta({ description: 'why there is no value, in words; null when there is one' }),
      }),
    )
    .meta({
      description: 'each score the rule reads: value, quantile, the model version and what it read of the customer',
    }),
  snapshot: ExplainedSnapshot.extend({ member: z.boolean() }).nullable().meta({
    description:
      'the stored snapshot explained (the published one when no asOf is given) and whether it holds the customer; null for an ad hoc asOf',
  }),
  scoring: ScoringNote,
  published: z
    .object({
      snapshotId: z.string(),
      runId: z.string(),
      publishedAt: z.string(),
      asOf: z.string(),
      member: z.boolean(),
    })
    .nullable(),
  withdrawn: z
    .object({ version: z.number(), runId: z.string(), at: z.string(), reason: z.string().nullable() })
    .nullable()
    .meta({ description: 'Set when the cohort was published and then withdrawn: no snapshot is current.' }),
  warning: z.string().optional(),
});

const AsOfQuery = z.object({ asOf: AsOf.optional() }).strict();
const inspected = { ...guarded, 404: ErrorBody };

export const explainCohort = route({
  method: 'GET',
  url: '/cohorts/:id/explain',
  roles: ['viewer'],
  tags: ['inspection'],
  summary: "The cohort's compiled SQL, its parameters and Postgres's plan (not executed)",
  schema: { params: CohortParams, querystring: AsOfQuery, response: { 200: ExplainAnswer, ...inspected } },
});

export const previewCohort = route({
  method: 'GET',
  url: '/cohorts/:id/preview',
  roles: ['viewer'],
  tags: ['inspection'],
  summary: 'Size and the first members by id, computed now; publishes and writes nothing',
  schema: {
    params: CohortParams,
    querystring: z
      .object({ asOf: AsOf.optional(), sample: z.coerce.number().int().min(1).max(1000).default(20) })
      .strict(),
    response: { 200: PreviewAnswer, ...inspected },
  },
});

export const whyMember = route({
  method: 'GET',
  url: '/cohorts/:id/why/:customerId',
  roles: ['viewer'],
  tags: ['inspection'],
  summary:
    'Whether a customer is a member, with the figures that decided each condition: of the published snapshot by default',
  schema: {
    params: z.object({ id: CohortId, customerId: z.string().min(1).max(200) }).strict(),
    querystring: AsOfQuery,
    response: { 200: WhyAnswer, ...inspected },
  },
});

same<Same<z.output<typeof ExplainAnswer>, ExplainAnswerType>>(true);
same<Same<z.output<typeof PreviewAnswer>, PreviewAnswerType>>(true);
same<Same<z.output<typeof WhyAnswer>, WhyAnswerType>>(true);
