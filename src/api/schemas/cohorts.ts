import { z } from 'zod';
import type {
  CohortListing as CohortListingType,
  ValidationAnswer as ValidationAnswerType,
  VersionSummary as VersionSummaryType,
} from '../../cohorts/catalog-reads';
import type {
  AppliedVersion as AppliedVersionType,
  DeletionRecord as DeletionRecordType,
} from '../../cohorts/catalog-service';
import { CohortTier } from './approval';
import { CohortId, CohortParams, ErrorBody, guarded, same, type Same } from './common';
import { route } from './contract';

// The catalog: read the folder's definitions and their recorded versions, validate a
// candidate, and change a definition (each accepted change a recorded version).

const DefinitionChange = z.enum(['create', 'update', 'deprecate', 'delete']);
const Status = z.enum(['active', 'deprecated']);

/**
 * A definition as parsed (the language: docs/cohorts.md). Loose: a version recorded long ago is
 * answered as it was stored, even when the language has changed since.
 */
export const DefinitionDocument = z
  .looseObject({
    id: z.string(),
    name: z.string(),
    purpose: z.string().optional(),
    owner: z.string().optional(),
    tier: CohortTier,
    status: Status.optional(),
    deprecationReason: z.string().optional(),
    rule: z.unknown().meta({ description: 'all / any / none of conditions: event, trait, measure, in_cohort.' }),
    sources: z.array(z.string()).optional(),
    destinations: z.array(z.string()).optional(),
    checks: z.record(z.string(), z.unknown()).optional(),
    limitations: z.string().optional(),
  })
  .meta({ id: 'CohortDefinition' });

export const LatestVersion = z.object({
  version: z.number(),
  change: DefinitionChange,
  contentHash: z.string(),
  createdAt: z.string(),
});

export const VersionSummary = z
  .object({
    cohortId: z.string(),
    version: z.number(),
    contentHash: z.string(),
    change: DefinitionChange,
    tier: CohortTier,
    author: z.string(),
    rationale: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'DefinitionVersionSummary' });

export const AppliedVersion = VersionSummary.extend({ file: z.string(), created: z.boolean() }).meta({
  id: 'AppliedVersion',
});

export const CohortListing = z.object({
  catalogDir: z.string(),
  cohorts: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      tier: CohortTier,
      status: Status,
      owner: z.string(),
      file: z.string(),
      latestVersion: LatestVersion.nullable(),
      recorded: z.boolean().meta({ description: 'False when the file differs from the latest recorded version.' }),
    }),
  ),
  problems: z.array(z.string()),
});

export const ValidationAnswer = z.object({
  valid: z.boolean(),
  cohorts: z.number(),
  candidate: z.string().optional(),
  /** The files sent, by the names problems give them. */
  candidates: z.array(z.string()).optional(),
  problems: z.array(z.string()),
});

export const DeletionRecord = z.object({
  cohortId: z.string(),
  version: z.number(),
  change: z.literal('delete'),
  author: z.string(),
  rationale: z.string(),
  fileRemoved: z.string().nullable(),
});

const ReasonBody = z.object({ reason: z.string().trim().min(1).optional() }).strict();

export const listCohorts = route({
  method: 'GET',
  url: '/cohorts',
  roles: ['viewer'],
  tags: ['catalog'],
  summary: 'The catalog: every cohort in the folder with its latest recorded version, and its problems',
  schema: { response: { 200: CohortListing, ...guarded } },
});

export const showCohort = route({
  method: 'GET',
  url: '/cohorts/:id',
  roles: ['viewer'],
  tags: ['catalog'],
  summary: 'The definition in the folder, its file and content hash',
  schema: {
    params: CohortParams,
    response: {
      200: z.object({
        id: z.string(),
        file: z.string(),
        contentHash: z.string(),
        definition: DefinitionDocument,
        latestVersion: LatestVersion.nullable(),
        recorded: z.boolean(),
      }),
      ...guarded,
      404: ErrorBody,
    },
  },
});

export const cohortVersions = route({
  method: 'GET',
  url: '/cohorts/:id/versions',
  roles: ['viewer'],
  tags: ['catalog'],
  summary: 'Every recorded version of a cohort, oldest first',
  schema: {
    params: CohortParams,
    response: {
      200: z.object({ cohortId: z.string(), versions: z.array(VersionSummary) }),
      ...guarded,
      404: ErrorBody,
    },
  },
});

export const cohortVersion = route({
  method: 'GET',
  url: '/cohorts/:id/versions/:n',
  roles: ['viewer'],
  tags: ['catalog'],
  summary: 'One recorded version, with its definition (null for a deletion)',
  schema: {
    params: z.object({ id: CohortId, n: z.coerce.number().int().positive() }).strict(),
    response: { 200: VersionSummary.extend({ definition: DefinitionDocument.nullable() }), ...guarded, 404: ErrorBody },
  },
});

export const validateCohorts = route({
  method: 'POST',
  url: '/cohorts/validate',
  roles: ['viewer'],
  tags: ['catalog'],
  summary: 'Check the catalog folder, with candidates added or replacing their cohorts; changes nothing',
  description:
    '`yaml`: one candidate, checked as the catalog file of its cohort. `files`: several, each under the name you give (problems are reported as `name:line: path: reason`); each replaces the catalog file declaring the same id. Every problem is listed at once.',
  schema: {
    body: z
      .object({
        yaml: z.string().min(1).optional(),
        files: z
          .array(
            z
              .object({
                name: z
                  .string()
                  .min(1)
                  .max(300)
                  .regex(/\.ya?ml$/, 'a .yaml or .yml file name'),
                yaml: z.string().min(1),
              })
              .strict(),
          )
          .max(500)
          .optional(),
      })
      .strict(),
    response: { 200: ValidationAnswer, ...guarded },
  },
});

export const applyCohort = route({
  method: 'PUT',
  url: '/cohorts/:id',
  roles: ['analyst'],
  tags: ['catalog'],
  summary: 'Write a definition to the folder and record it as a new version',
  description:
    '201 with the new version, 200 when the content is already the latest version; 400 with every problem (file:line: path) and nothing changed.',
  schema: {
    params: CohortParams,
    body: z
      .object({
        yaml: z.string().min(1),
        rationale: z.string().trim().min(10, 'say why this change is needed, in a sentence'),
      })
      .strict(),
    response: { 200: AppliedVersion, 201: AppliedVersion, ...guarded },
  },
});

export const deprecateCohort = route({
  method: 'POST',
  url: '/cohorts/:id/deprecate',
  roles: ['analyst'],
  tags: ['catalog'],
  summary: 'Mark a cohort deprecated (a strategic one needs a reason of a sentence)',
  description:
    '409 for a strategic cohort without a reason (guardrail), one already deprecated, or one an active cohort builds on.',
  schema: {
    params: CohortParams,
    body: ReasonBody,
    response: { 200: AppliedVersion, ...guarded, 404: ErrorBody, 409: ErrorBody },
  },
});

export const deleteCohort = route({
  method: 'DELETE',
  url: '/cohorts/:id',
  roles: ['analyst'],
  tags: ['catalog'],
  summary: 'Record the deletion, then remove the file (a strategic cohort needs a reason of a sentence)',
  description: '409 for a strategic cohort without a reason (guardrail), or one another cohort refers to.',
  schema: {
    params: CohortParams,
    body: ReasonBody,
    response: { 200: DeletionRecord, ...guarded, 404: ErrorBody, 409: ErrorBody, 500: ErrorBody },
  },
});

same<Same<z.output<typeof VersionSummary>, VersionSummaryType>>(true);
same<Same<z.output<typeof AppliedVersion>, AppliedVersionType>>(true);
same<Same<z.output<typeof CohortListing>, CohortListingType>>(true);
same<Same<z.output<typeof ValidationAnswer>, ValidationAnswerType>>(true);
same<Same<z.output<typeof DeletionRecord>, DeletionRecordType>>(true);
