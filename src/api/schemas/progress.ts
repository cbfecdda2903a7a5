import { z } from 'zod';
import type { RunProgress as RunProgressType } from '../../shared';
import { same, type Same } from './common';

// A running stage's progress as the status shows it (src/temporal/run-progress.ts puts it together).

const Count = z.object({ done: z.number(), total: z.number() });

export const RunProgress = z
  .object({
    step: z.string().meta({ description: 'ingest, plan, measures, cohorts, baseline-test, publish or deliver.' }),
    since: z.string().meta({ description: 'When the step started.' }),
    cohorts: Count.optional(),
    files: Count.optional(),
    rows: z.number().optional(),
    chunks: z.number().optional(),
    batches: Count.optional(),
    fraction: z.number().optional().meta({ description: 'Share of the step done, 0 to 1, when it can be told.' }),
    etaSeconds: z.number().optional().meta({ description: 'Seconds left at the rate so far.' }),
    activities: z
      .array(
        z.object({
          activity: z.string(),
          state: z.enum(['scheduled', 'started', 'cancel-requested', 'paused']),
          attempt: z.number(),
          lastHeartbeatAt: z.string().optional(),
          lastFailure: z.string().optional(),
          heartbeatTimeoutAt: z.string().optional(),
          lastWorker: z.string().optional(),
        }),
      )
      .optional(),
    note: z.string().optional().meta({ description: 'What is off, e.g. no heartbeat lately, a failed attempt.' }),
  })
  .meta({ id: 'RunProgress' });

same<Same<z.output<typeof RunProgress>, RunProgressType>>(true);
