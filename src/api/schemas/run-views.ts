import { z } from 'zod';
import type { RunTimeline as RunTimelineType } from '../../governance/run-timeline';
import type { RunSummary as RunSummaryType } from '../../temporal/run-list';
import { ErrorBody, guarded, RunParams, same, type Same } from './common';
import { route } from './contract';
import { Cadence, RefreshStatus, TierScope } from './refreshes';

// Runs as lists and timelines: what the dashboard's run pages read, open to any viewer.

const Stage = RefreshStatus.shape.stage;
const Outcome = RefreshStatus.shape.outcome.unwrap();

export const RunSummary = z
  .object({
    runId: z.string(),
    status: z.string().meta({ description: "Temporal's execution status: RUNNING, COMPLETED, FAILED, …" }),
    stage: Stage.nullable(),
    outcome: Outcome.nullable(),
    cadence: Cadence.nullable(),
    tier: TierScope.nullable(),
    requestedBy: z.string().nullable(),
    rationale: z.string().nullable(),
    failure: z
      .string()
      .nullable()
      .meta({ description: "Why a failed run failed: the root cause's message, not a wrapper's." }),
    rerunOf: z.string().nullable().meta({ description: 'On a re-run: the run it repeats.' }),
    startedAt: z.string(),
    closedAt: z.string().nullable(),
    approval: z
      .object({
        since: z.string(),
        deadline: z.string(),
        approvers: z.array(z.string()),
        excluded: z.array(z.string()),
        waiting: z.array(
          z.object({
            cohortId: z.string(),
            tier: z.string(),
            approvals: z.number(),
            approvalsRequired: z.number(),
            reason: z.string(),
          }),
        ),
      })
      .nullable()
      .meta({ description: 'For a run waiting at the gate: who may decide, what waits, the deadline.' }),
    temporalUrl: z.string().nullable().meta({ description: "The run in the Temporal Web UI, when it's configured." }),
  })
  .meta({ id: 'RunSummary' });

export const listRefreshes = route({
  method: 'GET',
  url: '/refreshes',
  roles: ['viewer'],
  tags: ['refreshes'],
  summary: 'The newest refresh runs, from Temporal: stage, outcome, who asked, and what waits at the gate',
  schema: {
    querystring: z
      .object({
        stage: Stage.optional(),
        outcome: Outcome.optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
      })
      .strict(),
    response: { 200: z.object({ runs: z.array(RunSummary) }), ...guarded },
  },
});

const StageSpan = z.object({
  stage: z.enum(['ingest', 'compute', 'baseline-test', 'awaiting-approval', 'publish']),
  state: z.enum(['done', 'running', 'failed', 'skipped', 'not-reached']),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  durationMs: z.number().nullable(),
});

export const RunTimeline = z.object({
  runId: z.string(),
  startedAt: z.string().nullable(),
  outcome: z.string().nullable(),
  stages: z.array(StageSpan),
  progress: z.object({
    sourcesIngested: z.number(),
    cohortsPlanned: z.number(),
    cohortsComputed: z.number(),
    reportsStored: z.number(),
  }),
});

export const runTimeline = route({
  method: 'GET',
  url: '/runs/:id/timeline',
  roles: ['viewer'],
  tags: ['runs'],
  summary: "A run's stages with start, end and duration (from its audit trail), and the progress stored so far",
  schema: { params: RunParams, response: { 200: RunTimeline, ...guarded, 404: ErrorBody } },
});

same<Same<z.output<typeof RunSummary>, RunSummaryType>>(true);
same<Same<z.output<typeof RunTimeline>, RunTimelineType>>(true);
