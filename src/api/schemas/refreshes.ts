import { z } from 'zod';
import type { RefreshStatus as RefreshStatusType } from '../../shared';
import { ApprovalDecision, ApprovalGateStatus, CohortTier, DecisionBody, IgnoredMessage } from './approval';
import { CohortReport, IngestSummary, Verdict } from './checks';
import { ErrorBody, guarded, Moment, RefreshParams, same, type Same } from './common';
import { route } from './contract';
import { RunModels } from './models';
import { RunProgress } from './progress';
import { RollbackRecord } from './rollbacks';
import { ShadowRunSummary } from './shadows';

// Refresh runs: start one, read its status (the workflow's `status` query), decide it.

export const Cadence = z.enum(['monthly', 'quarterly', 'adhoc']);
export type Cadence = z.output<typeof Cadence>;
export const TierScope = z.enum(['tactical', 'strategic', 'all']);
export type TierScope = z.output<typeof TierScope>;

export const RefreshStatus = z
  .object({
    runId: z.string(),
    stage: z.enum([
      'queued',
      'ingest',
      'compute',
      'baseline-test',
      'awaiting-approval',
      'frozen',
      'publish',
      'watching',
      'done',
    ]),
    cadence: Cadence,
    tier: TierScope,
    requestedBy: z.string(),
    rerunOf: z
      .object({ runId: z.string(), from: z.enum(['ingest', 'compute', 'baseline-test']) })
      .optional()
      .meta({ description: 'On a re-run: the run it repeats and the stage it started again from.' }),
    queuedBehind: z.string().optional(),
    asOf: z.string().optional(),
    ingest: IngestSummary.optional(),
    cohorts: z.array(
      z.object({
        cohortId: z.string(),
        snapshotId: z.string(),
        definitionVersion: z.number(),
        tier: CohortTier,
        size: z.number(),
        contentHash: z.string(),
        verdict: Verdict.optional(),
      }),
    ),
    reports: z.array(CohortReport),
    pendingApproval: z
      .object({ since: z.string(), deadline: z.string(), approvers: z.array(z.string()), reason: z.string() })
      .optional(),
    approval: ApprovalGateStatus.optional(),
    decisions: z.array(ApprovalDecision).optional(),
    decision: ApprovalDecision.optional(),
    ignored: z.array(IgnoredMessage),
    outcome: z
      .enum([
        'published',
        'rolled-back',
        'partly-rolled-back',
        'rejected',
        'changes-requested',
        'expired',
        'failed',
        'skipped',
      ])
      .optional(),
    failure: z
      .string()
      .optional()
      .meta({ description: "Why the run failed: the root cause's message (e.g. the definition file and field)." }),
    failedAt: z
      .enum([
        'queued',
        'ingest',
        'compute',
        'baseline-test',
        'awaiting-approval',
        'publish',
        'watching',
        'frozen',
        'done',
      ])
      .optional()
      .meta({ description: 'The stage the run failed in: where a re-run starts by default.' }),
    slot: z.string().optional().meta({ description: 'A scheduled run: the slot it was started for.' }),
    skipped: z.string().optional().meta({ description: 'Why the run ended without refreshing or publishing.' }),
    freeze: z
      .object({
        policy: z.enum(['wait', 'skip']),
        freezes: z.array(
          z.object({
            name: z.string(),
            reason: z.string(),
            onPublish: z.enum(['wait', 'skip']),
            start: z.string(),
            end: z.string(),
          }),
        ),
        until: z.string().optional(),
        clearedAt: z.string().optional(),
      })
      .optional()
      .meta({ description: 'A freeze window that held the run at publish (stage frozen) or skipped its publish.' }),
    watch: z
      .object({
        window: z.string(),
        closesAt: z.string(),
        closed: z.boolean().optional(),
        published: z.array(z.string()).optional(),
      })
      .optional(),
    rollbacks: z.array(RollbackRecord).optional(),
    shadows: z
      .array(ShadowRunSummary)
      .optional()
      .meta({ description: 'Shadow definitions computed beside the live cohorts in this run; never published.' }),
    models: RunModels.optional().meta({
      description:
        "Model versions this run's gate decides (quarterly runs fit them), and kinds a fit refused, with why.",
    }),
    progress: RunProgress.optional(),
  })
  .meta({ id: 'RefreshStatus' });

export const startRefresh = route({
  method: 'POST',
  url: '/refreshes',
  roles: ['operator'],
  tags: ['refreshes'],
  summary: 'Start a refresh run',
  description:
    'One active refresh per tier: while a refresh of the tier has not settled its outcome, 409 refresh_running with its runId, unless queue is true (then the run waits in stage queued).',
  schema: {
    body: z
      .object({
        cadence: Cadence.default('adhoc'),
        tier: TierScope.default('all'),
        rationale: z.string().trim().min(3, 'say why this refresh is needed'),
        asOf: Moment.optional(),
        queue: z
          .boolean()
          .optional()
          .meta({ description: 'When a refresh of the tier is active: wait for it (stage queued) instead of a 409.' }),
      })
      .strict(),
    response: {
      202: z.object({ workflowId: z.string(), runId: z.string(), queuedBehind: z.string().optional() }),
      ...guarded,
      409: ErrorBody,
    },
  },
});

export const refreshStatus = route({
  method: 'GET',
  url: '/refreshes/:id',
  roles: ['viewer'],
  tags: ['refreshes'],
  summary: "A run's stage, ingest summary, cohorts, reports, pending approval, decision, outcome",
  schema: { params: RefreshParams, response: { 200: RefreshStatus, ...guarded, 404: ErrorBody } },
});

const DECISIONS = {
  approve: 'Approve the named cohorts, or every cohort still waiting',
  reject: 'Hold back the named cohorts, or reject the whole run when none are named',
  'request-changes': 'Send the run back: it ends and nothing is published',
} as const;

const decideRefresh = (decision: keyof typeof DECISIONS) =>
  route({
    method: 'POST',
    url: `/refreshes/:id/${decision}`,
    roles: ['approver'],
    tags: ['refreshes'],
    summary: DECISIONS[decision],
    description:
      'The decision and what is still waiting. 409 with the reason when refused (four eyes: never the requester or the author of a changed definition).',
    schema: {
      params: RefreshParams,
      body: DecisionBody,
      response: { 200: ApprovalDecision, ...guarded, 404: ErrorBody, 409: ErrorBody },
    },
  });
export const approveRefresh = decideRefresh('approve');
export const rejectRefresh = decideRefresh('reject');
export const requestChanges = decideRefresh('request-changes');

same<Same<z.output<typeof RefreshStatus>, RefreshStatusType>>(true);
