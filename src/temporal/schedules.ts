import { ScheduleAlreadyRunning, type Client, type ScheduleOptions } from '@temporalio/client';
import type { SigningKey } from '../governance/proof-keys';
import type { RefreshInput } from '../shared';
import { signedScheduledStart } from './signed-messages';
import { Cadence, CohortTier } from '../workflows/search-attributes';

/** Tactical cohorts monthly, strategic ones quarterly; 06:00 UTC on the 1st. */
export const SCHEDULES = [
  {
    id: 'cohortflow-monthly',
    cadence: 'monthly',
    tier: 'tactical',
    cron: '0 6 1 * *',
    rationale: 'monthly refresh of tactical cohorts',
  },
  {
    id: 'cohortflow-quarterly',
    cadence: 'quarterly',
    tier: 'strategic',
    cron: '0 6 1 1,4,7,10 *',
    rationale: 'quarterly refresh of strategic cohorts',
  },
] as const;

function scheduleOptions(
  s: (typeof SCHEDULES)[number],
  taskQueue: string,
  signer: SigningKey,
  watchWindow?: RefreshInput['watchWindow'],
): ScheduleOptions {
  const workflowId = `refresh-${s.cadence}`;
  // The schedule's identity is proven by a key only the server holds; the policy is the worker's.
  const input = signedScheduledStart(signer, workflowId, {
    cadence: s.cadence,
    tier: s.tier,
    requestedBy: `schedule:${s.id}`,
    rationale: s.rationale,
    ...(watchWindow ? { watchWindow } : {}),
  });
  return {
    scheduleId: s.id,
    spec: { cronExpressions: [s.cron] },
    action: {
      type: 'startWorkflow',
      workflowType: 'refreshCycle',
      workflowId,
      taskQueue,
      args: [input],
      typedSearchAttributes: [
        { key: Cadence, value: s.cadence },
        { key: CohortTier, value: s.tier },
      ],
    },
    // A refresh still waiting for approval when the next one is due: skip, never pile up.
    policies: { overlap: 'SKIP', catchupWindow: '1 day' },
    memo: { description: s.rationale },
  };
}

/** Creates the schedules, or brings existing ones up to date: safe to call at every start. */
/** `watchWindow` unset: the workflow's default (7d). */
export async function ensureSchedules(
  client: Client,
  taskQueue: string,
  signer: SigningKey,
  watchWindow?: RefreshInput['watchWindow'],
): Promise<string[]> {
  const ids: string[] = [];
  for (const s of SCHEDULES) {
    const options = scheduleOptions(s, taskQueue, signer, watchWindow);
    try {
      await client.schedule.create(options);
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      await client.schedule.getHandle(s.id).update((previous) => ({
        ...previous,
        spec: options.spec,
        action: options.action,
        policies: options.policies,
      }));
    }
    ids.push(s.id);
  }
  return ids;
}
