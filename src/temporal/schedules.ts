import { ScheduleAlreadyRunning, type Client, type ScheduleOptions } from '@temporalio/client';
import { describeCadence, fireTimes } from '../calendar/cadence';
import { type CalendarInstallation, type CalendarSettings, loadInstallation } from '../calendar/installation';
import type { RefreshSchedule } from '../calendar/schedules-file';
import { explicitScheduleSpec } from '../calendar/schedule-spec';
import { describeInstant } from '../calendar/zoned-time';
import type { SigningKey } from '../governance/proof-keys';
import type { RefreshInput } from '../shared';
import { signedScheduledStart } from './signed-messages';
import { Cadence, CohortTier } from '../workflows/search-attributes';

// Temporal schedules cannot say "the first business day": each schedule's spec lists its exact
// fire times for the next year, computed from the business calendar and the zone's rules, and is
// rewritten at every start of the API (docs/calendars.md compares the designs).

/** Fire times written ahead into each schedule's spec. */
const AHEAD_PERIODS = { month: 12, quarter: 4 } as const;

/**
 * How long after a missed fire time Temporal still starts it on recovery: a little more than one
 * period, so the latest missed slot is always started; the run's slot check turns several
 * catch-up starts into one run of the latest slot.
 */
const CATCHUP_WINDOW = { month: '35 days', quarter: '95 days' } as const;

/** The workflow id a schedule's runs share as a prefix; Temporal appends each slot's time. */
export const scheduleWorkflowId = (s: Pick<RefreshSchedule, 'cadence'>) => `refresh-${s.cadence}`;

/** The schedule's next fire times after `now`, as many as its spec lists. */
export function plannedFireTimes(s: RefreshSchedule, installation: CalendarInstallation, now: Date): Date[] {
  const calendar = installation.calendars.get(s.when.calendar)!;
  return fireTimes(s.when, calendar, now, AHEAD_PERIODS[s.when.every]);
}

function scheduleOptions(
  s: RefreshSchedule,
  installation: CalendarInstallation,
  now: Date,
  taskQueue: string,
  signer: SigningKey,
  watchWindow?: RefreshInput['watchWindow'],
): ScheduleOptions {
  const workflowId = scheduleWorkflowId(s);
  const calendar = installation.calendars.get(s.when.calendar)!;
  // The schedule's identity is proven by a key only the server holds; the policy is the worker's.
  const input = signedScheduledStart(signer, workflowId, {
    cadence: s.cadence,
    tier: s.tier,
    requestedBy: `schedule:${s.id}`,
    rationale: s.rationale,
    ...(watchWindow ? { watchWindow } : {}),
  });
  const zone = s.when.timeZone ?? calendar.timeZone;
  return {
    scheduleId: s.id,
    spec: explicitScheduleSpec(plannedFireTimes(s, installation, now), (t) => describeInstant(t, zone)),
    action: {
      type: 'startWorkflow',
      workflowType: 'refreshCycle',
      workflowId,
      taskQueue,
      args: [input],
      // Each run's memo says which schedule asked and why, as an API start's says who.
      memo: { requestedBy: input.requestedBy, rationale: s.rationale, schedule: s.id },
      typedSearchAttributes: [
        { key: Cadence, value: s.cadence },
        { key: CohortTier, value: s.tier },
      ],
    },
    // A refresh still open (awaiting approval, frozen, watching) when the next slot is due: skip,
    // never pile up.
    policies: { overlap: 'SKIP', catchupWindow: CATCHUP_WINDOW[s.when.every] },
    memo: { description: `${s.rationale}: ${describeCadence(s.when, calendar)}` },
  };
}

/**
 * Creates the schedules of the schedules file, or brings existing ones up to date (spec, action,
 * policies; a pause and its note stay): safe to call at every start. Returns their ids.
 */
export async function ensureSchedules(
  client: Client,
  taskQueue: string,
  signer: SigningKey,
  settings: CalendarSettings,
  watchWindow?: RefreshInput['watchWindow'],
  now = new Date(),
): Promise<string[]> {
  const installation = await loadInstallation(settings, now);
  const ids: string[] = [];
  for (const s of installation.schedules) {
    const options = scheduleOptions(s, installation, now, taskQueue, signer, watchWindow);
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
