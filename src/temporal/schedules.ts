import { ScheduleAlreadyRunning, type Client, type ScheduleOptions } from '@temporalio/client';
import type { ApprovalPolicy, RefreshInput } from '../shared';
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
  policy: ApprovalPolicy,
  watchWindow?: RefreshInput['watchWindow'],
): ScheduleOptions {
  const input: RefreshInput = {
    cadence: s.cadence,
    tier: s.tier,
    requestedBy: `schedule:${s.id}`,
    rationale: s.rationale,
    policy,
    ...(watchWindow ? { watchWindow } : {}),
  };
  return {
    scheduleId: s.id,
    spec: { cronExpressions: [s.cron] },
    action: {
      type: 'startWorkflow',
      workflowType: 'refreshCycle',
      workflowId: `refresh-${s.cadence}`,
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
  policy: ApprovalPolicy,
  watchWindow?: RefreshInput['watchWindow'],
): Promise<string[]> {
  const ids: string[] = [];
  for (const s of SCHEDULES) {
    const options = scheduleOptions(s, taskQueue, policy, watchWindow);
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
