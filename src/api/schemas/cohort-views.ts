import { z } from 'zod';
import type { CohortTrends as CohortTrendsType } from '../../governance/cohort-trends';
import type { CurrentVersion as CurrentVersionType, SizePoint as SizePointType } from '../../governance/cohort-sizes';
import { CohortParams, ErrorBody, guarded, same, type Same } from './common';
import { route } from './contract';

// A cohort over time: its size at every published version, its published members, and whether
// it still means what it meant (drift per attribute beside KPIs of its members).

export const SizePoint = z.object({
  version: z.number(),
  publishedAt: z.string(),
  runId: z.string(),
  asOf: z.string().nullable(),
  size: z.number(),
  adds: z.number(),
  removes: z.number(),
  rollback: z.boolean(),
});

export const cohortSizes = route({
  method: 'GET',
  url: '/cohorts/:id/sizes',
  roles: ['viewer'],
  tags: ['governance'],
  summary: 'The size of every published version, oldest first, with adds and removes against the one before',
  schema: {
    params: CohortParams,
    response: { 200: z.object({ cohortId: z.string(), versions: z.array(SizePoint) }), ...guarded },
  },
});

const Kpis = z.object({ conversion: z.number(), revenuePerMember: z.number(), churn: z.number() });

export const CohortTrends = z.object({
  cohortId: z.string(),
  windowDays: z.number(),
  dataUntil: z.string().nullable(),
  definitions: z.array(
    z.object({ name: z.enum(['conversion', 'revenuePerMember', 'churn']), label: z.string(), definition: z.string() }),
  ),
  versions: z.array(
    z.object({
      version: z.number(),
      publishedAt: z.string(),
      runId: z.string(),
      asOf: z.string(),
      members: z.number(),
      drift: z.array(z.object({ dimension: z.string(), psi: z.number().nullable(), verdict: z.string() })),
      before: Kpis,
      after: Kpis.extend({ observedDays: z.number() }).nullable(),
    }),
  ),
});

export const cohortTrends = route({
  method: 'GET',
  url: '/cohorts/:id/trends',
  roles: ['viewer'],
  tags: ['governance'],
  summary:
    'Drift per attribute and KPIs of the members (conversion, revenue per member, churn) for the latest versions',
  description:
    'KPIs are computed from the raw events for each version’s members over the 30 days up to its asOf and the 30 days after it (as far as the data reaches); `definitions` says exactly how.',
  schema: {
    params: CohortParams,
    querystring: z.object({ limit: z.coerce.number().int().min(1).max(100).default(12) }).strict(),
    response: { 200: CohortTrends, ...guarded },
  },
});

export const cohortMembers = route({
  method: 'GET',
  url: '/cohorts/:id/members',
  roles: ['viewer'],
  tags: ['governance'],
  summary: 'A sample of the members of the current published version (404 when the cohort has none)',
  schema: {
    params: CohortParams,
    querystring: z.object({ sample: z.coerce.number().int().min(1).max(200).default(20) }).strict(),
    response: {
      200: z.object({
        cohortId: z.string(),
        version: z.number(),
        snapshotId: z.string(),
        size: z.number(),
        sample: z.array(z.string()),
      }),
      ...guarded,
      404: ErrorBody,
    },
  },
});

export const CurrentVersion = z.object({
  cohortId: z.string(),
  version: z.number(),
  size: z.number().nullable(),
  publishedAt: z.string(),
  runId: z.string(),
});

export const publishedCohorts = route({
  method: 'GET',
  url: '/published',
  roles: ['viewer'],
  tags: ['governance'],
  summary: "Every cohort's latest published version: its number, size, when and by which run",
  schema: { response: { 200: z.object({ cohorts: z.array(CurrentVersion) }), ...guarded } },
});

same<Same<z.output<typeof SizePoint>, SizePointType>>(true);
same<Same<z.output<typeof CurrentVersion>, CurrentVersionType>>(true);
same<Same<z.output<typeof CohortTrends>, CohortTrendsType>>(true);
