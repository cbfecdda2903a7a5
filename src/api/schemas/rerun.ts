import { z } from 'zod';
import { ErrorBody, guarded, RefreshParams } from './common';
import { route } from './contract';

// Re-running a run that failed (or ended without publishing): a new run, signed and claiming its
// tier like any start, linked to the one it repeats.

export const RerunFrom = z.enum(['ingest', 'compute', 'baseline-test']);
export type RerunFrom = z.output<typeof RerunFrom>;

export const rerunRefresh = route({
  method: 'POST',
  url: '/refreshes/:id/rerun',
  roles: ['operator'],
  tags: ['refreshes'],
  summary: 'Re-run a run that failed or ended without publishing, from ingest, compute or the baseline tests',
  description:
    "A new run of the same cadence and tier, linked to the original (its status's rerunOf, the RerunOf search attribute, the memo, and audit rows on both runs). from: ingest reads new source files; compute reuses the original's ingest and computes now over the data there is; baseline-test reuses its ingest and its asOf, so it computes the same cohorts again. Without from: the stage the run failed in (ingest for a refused start or a data-quality failure). 409 rerun_refused while the original runs or when it published; 409 refresh_running while another refresh holds the tier, unless queue is true.",
  schema: {
    params: RefreshParams,
    body: z
      .object({
        from: RerunFrom.optional(),
        rationale: z
          .string()
          .trim()
          .min(3, 'say why the run is re-run')
          .optional()
          .meta({ description: "Recorded with the re-run; default: the original's rationale, marked as a re-run." }),
        queue: z.boolean().optional(),
      })
      .strict()
      .default({}),
    response: {
      202: z.object({
        workflowId: z.string(),
        runId: z.string(),
        rerunOf: z.string(),
        from: RerunFrom,
        queuedBehind: z.string().optional(),
      }),
      ...guarded,
      404: ErrorBody,
      409: ErrorBody,
    },
  },
});
