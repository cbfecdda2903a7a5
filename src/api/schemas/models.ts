import { z } from 'zod';
import type { ModelProposal as ModelProposalType } from '../../shared';
import type { ModelVersion as ModelVersionType } from '../../scores/governance/model-versions';
import { AsOf, ErrorBody, guarded, same, type Same } from './common';
import { route } from './contract';

// Predictive models, governed like definitions: every fit a version with its training window,
// watermarks, parameters, metrics, author and rationale; proposed until a run's approval gate
// makes it current. Operators may fit a version on demand: it is only ever proposed.

const ModelKind = z.enum(['purchasing', 'churn', 'upgrade']);

/** A version a run carries to its approval gate, in brief: the run's status lists them. */
export const ModelProposal = z
  .object({
    modelId: z.string(),
    kind: ModelKind,
    promotable: z.boolean(),
    reason: z.string().meta({ description: "The promotion rule's verdict, in words" }),
    auc: z.number().nullable().optional().meta({ description: 'Validation AUC of a propensity model' }),
    psi: z.number().optional().meta({ description: "PSI of its scores against the current version's" }),
    outcome: z
      .enum(['current', 'rejected', 'proposed'])
      .optional()
      .meta({ description: 'After the decision: made current, rejected, or left proposed for a later gate' }),
  })
  .meta({ id: 'ModelProposal' });

export const RunModels = z.object({
  proposals: z.array(ModelProposal),
  refused: z.array(z.object({ kind: z.string(), reason: z.string() })),
});

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

// The list keeps the metrics (a few figures): the dashboard's Models page shows them per version.
const ModelBrief = ModelVersion.omit({ parameters: true, watermarks: true });

export const listModels = route({
  method: 'GET',
  url: '/models',
  roles: ['viewer'],
  tags: ['models'],
  summary: 'Every model version, newest first per kind, with status, metrics, promotion rule and drift',
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
same<Same<z.output<typeof ModelProposal>, ModelProposalType>>(true);
