import { z } from 'zod';
import type { ShadowRunSummary as ShadowRunSummaryType } from '../../shared';
import type { ShadowReport as ShadowReportType } from '../../shadows/shadow-report';
import { CheckResult, Verdict } from './checks';
import { CohortParams, ErrorBody, guarded, same, type Same } from './common';
import { route } from './contract';

// Shadow definitions: a proposed version of a cohort's definition computed beside the live one
// for N refreshes, compared and never published; promoted through the ordinary definition change.

const ShadowStatus = z.enum(['active', 'finished', 'stopped', 'promoted']);
const Count = z.number().nullable();

export const ShadowRunSummary = z
  .object({
    shadowId: z.string(),
    cohortId: z.string(),
    liveSize: Count,
    shadowSize: Count,
    overlap: Count.meta({ description: 'Members in both the live and the shadow snapshot of the run.' }),
    adds: Count.meta({ description: 'In the shadow, not in the live snapshot.' }),
    removes: Count.meta({ description: 'In the live snapshot, not in the shadow.' }),
    jaccard: Count,
    verdict: Verdict.nullable().meta({ description: "The shadow's baseline verdict, as if it were published now." }),
    liveVerdict: Verdict.nullable(),
    runsRemaining: z.number().nullable(),
    status: ShadowStatus,
    error: z.string().optional(),
  })
  .meta({ id: 'ShadowRunSummary' });

const Kpis = z.object({
  conversion: z.number(),
  revenuePerMember: z.number(),
  churn: z.number(),
  meanValue: z.number().nullable(),
});

export const ShadowRecord = z
  .object({
    shadowId: z.string(),
    cohortId: z.string(),
    status: ShadowStatus,
    runsPlanned: z.number(),
    runsRemaining: z.number(),
    liveVersion: z.number().nullable(),
    proposedYaml: z.string(),
    contentHash: z.string(),
    startedBy: z.string(),
    rationale: z.string(),
    startedAt: z.string(),
    endedBy: z.string().nullable(),
    endReason: z.string().nullable(),
    endedAt: z.string().nullable(),
    promotedVersion: z.number().nullable(),
  })
  .meta({ id: 'Shadow' });

export const ShadowReport = z
  .object({
    shadow: ShadowRecord,
    runs: z.array(
      z.object({
        runId: z.string(),
        asOf: z.string().nullable(),
        liveVersion: Count,
        liveSnapshotId: z.string().nullable(),
        shadowSnapshotId: z.string().nullable(),
        liveSize: Count,
        shadowSize: Count,
        overlap: Count,
        adds: Count,
        removes: Count,
        jaccard: Count,
        verdict: Verdict.nullable(),
        liveVerdict: Verdict.nullable(),
        checks: z.array(CheckResult),
        kpis: z.object({ live: Kpis, shadow: Kpis, difference: Kpis }).nullable().meta({
          description:
            'Conversion, revenue per member (USD) and churn over the 30 days up to asOf (the cohort trends KPIs), and the mean 90-day monetary value, for the live and the shadow members; difference = shadow − live.',
        }),
        error: z.string().nullable(),
        doneAt: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'ShadowReport' });

const Rationale = z.string().trim().min(10, 'say why, in a sentence');

export const startShadow = route({
  method: 'POST',
  url: '/cohorts/:id/shadow',
  roles: ['analyst'],
  tags: ['shadows'],
  summary: 'Start a shadow: a proposed definition computed beside the live one for N refreshes, never published',
  description:
    'The proposal is checked with the whole catalog exactly as `PUT /cohorts/:id` checks a change (400 invalid_definition with every problem as file:line: path: reason, nothing stored). 409 shadow_refused while the cohort has an active shadow, when it is deprecated (no refresh computes it), or when the proposal is the live version.',
  schema: {
    params: CohortParams,
    body: z
      .object({
        yaml: z.string().min(1),
        runs: z
          .number()
          .int()
          .min(1)
          .max(100)
          .meta({ description: 'How many refreshes it runs in, then it finishes.' }),
        rationale: Rationale,
      })
      .strict(),
    response: { 201: ShadowRecord, ...guarded, 404: ErrorBody, 409: ErrorBody },
  },
});

export const shadowReport = route({
  method: 'GET',
  url: '/cohorts/:id/shadow',
  roles: ['viewer'],
  tags: ['shadows'],
  summary:
    "A shadow's report: per refresh, live and shadow size, overlap, adds, removes, verdicts, checks and KPI differences",
  schema: {
    params: CohortParams,
    querystring: z
      .object({
        shadow: z
          .string()
          .regex(/^shadow_[0-9a-f]{12}$/, 'a shadow id (shadow_…)')
          .optional(),
      })
      .strict(),
    response: { 200: ShadowReport, ...guarded, 404: ErrorBody },
  },
});

export const stopShadow = route({
  method: 'POST',
  url: '/cohorts/:id/shadow/stop',
  roles: ['analyst'],
  tags: ['shadows'],
  summary: "Stop the cohort's active shadow; its runs stay in the report",
  schema: {
    params: CohortParams,
    body: z.object({ reason: Rationale }).strict(),
    response: { 200: ShadowRecord, ...guarded, 404: ErrorBody, 409: ErrorBody },
  },
});

export const promoteShadow = route({
  method: 'POST',
  url: '/cohorts/:id/shadow/promote',
  roles: ['analyst'],
  tags: ['shadows'],
  summary:
    'Promote the shadow: its definition becomes the new version, which the next refresh takes to the approval gate',
  description:
    "The ordinary definition change (`PUT /cohorts/:id`): validated with the catalog as it is now, written and recorded with you as its author. The next refresh of the cohort's tier computes it and waits at the gate, where the definition_change check carries this shadow's runs. 409 shadow_refused for a stopped or promoted shadow, or one that has not run yet.",
  schema: {
    params: CohortParams,
    body: z
      .object({
        rationale: Rationale,
        shadow: z
          .string()
          .regex(/^shadow_[0-9a-f]{12}$/, 'a shadow id (shadow_…)')
          .optional(),
      })
      .strict(),
    response: {
      200: z.object({ shadow: ShadowRecord, version: z.number(), created: z.boolean() }),
      ...guarded,
      404: ErrorBody,
      409: ErrorBody,
    },
  },
});

same<Same<z.output<typeof ShadowRunSummary>, ShadowRunSummaryType>>(true);
same<Same<z.output<typeof ShadowReport>, ShadowReportType>>(true);
