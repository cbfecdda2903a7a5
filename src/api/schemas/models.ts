import { z } from 'zod';
import type { ModelVersion as ModelVersionType } from '../../scores/governance/model-versions';
import { AsOf, ErrorBody, guarded, same, type Same } from './common';
import { route } from './contract';

// Predictive models, governed like definitions: every fit a version with its training window,
// watermarks, parameters, metrics, author and rationale; proposed until a run's approval gate
// makes it current. Operators may fit a version on demand: it is only ever proposed.

const ModelKind = z.enum(['purchasing', 'churn', 'upgrade']);

export const ModelVersion = z
  .object({
    modelId: z.string().meta({ example: 'churn-v3' }),
    kind: ModelKind,
    version: z.number(),
    status: z.enum(['proposed', 'current', 'retired', 'rejected']),
    asOf: z.string(),
    trainingFrom: z.string(),
    trainingUntil: z.string(),
    watermarks: z.record(z.string(), z.string()),
    parameters: z.unknown().meta({
      description:
        'The model as it scores: BG/NBD and Gamma-Gamma parameters, or the propensity model (columns, weights)',
    }),
    metrics: z.record(z.string(), z.unknown()),
    promotable: z.boolean(),
    promotionReason: z.string(),
    drift: z
      .object({ against: z.string(), score: z.string(), psi: z.number(), customers: z.number() })
      .nullable()
      .meta({
        description: 'PSI of its scores against the version current when it was fitted (same customers, same asOf)',
      }),
    author: z.string(),
    rationale: z.string(),
    runId: z.string().nullable().meta({ description: 'The run whose approval gate decides (or decided) it' }),
    createdAt: z.string(),
    decidedBy: z.string().nullable(),
    decidedAt: z.string().nullable(),
  })
  .meta({ id: 'ModelVersion' });

const ModelBrief = ModelVersion.omit({ parameters: true, metrics: true, watermarks: true });

export const listModels = route({
  method: 'GET',
  url: '/models',
  roles: ['viewer'],
  tags: ['models'],
  summary: 'Every model version, newest first per kind, with status, promotion rule and drift',
  schema: {
    querystring: z.object({ kind: ModelKind.optional() }).strict(),
    response: { 200: z.object({ models: z.array(ModelBrief) }), ...guarded },
  },
});

export const showModel = route({
  method: 'GET',
  url: '/models/:id',
  roles: ['viewer'],
  tags: ['models'],
  summary: 'One model version: parameters, metrics, drift, training window, who fitted and who decided it',
  schema: {
    params: z
      .object({ id: z.string().regex(/^(purchasing|churn|upgrade)-v\d{1,6}$/, 'a model id such as churn-v3') })
      .strict(),
    response: { 200: ModelVersion, ...guarded, 404: ErrorBody },
  },
});

export const fitModel = route({
  method: 'POST',
  url: '/models',
  roles: ['operator'],
  tags: ['models'],
  summary: "Fit a new version now, as of asOf (default now): stored as proposed, for the next quarterly run's gate",
  description:
    '201 with the proposed version; 409 model_fit_refused when the data cannot carry a fit (too little history, no repeat buyers).',
  schema: {
    body: z
      .object({
        kind: ModelKind,
        rationale: z.string().trim().min(10, 'say why, in a sentence (at least 10 characters)').max(2000),
        asOf: AsOf.optional(),
      })
      .strict(),
    response: { 201: ModelVersion, ...guarded, 409: ErrorBody },
  },
});

same<Same<z.output<typeof ModelVersion>['status'], ModelVersionType['status']>>(true);
