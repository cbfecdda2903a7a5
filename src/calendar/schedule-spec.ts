import { type CalendarSpec, MONTHS, type ScheduleSpec } from '@temporalio/client';

// A Temporal schedule spec that fires at exactly these instants. Each is one calendar entry
// pinned to its year, month, day, hour and minute in UTC: the instants were computed with the
// business calendar and the zone's daylight-saving rules already applied, and a spec in UTC is
// self-contained (Temporal's own matching of local times skips a time in a spring-forward gap
// and fires twice in an autumn overlap).

export function explicitScheduleSpec(instants: readonly Date[], describe?: (instant: Date) => string): ScheduleSpec {
  const calendars: CalendarSpec[] = instants.map((t) => {
    if (t.getUTCMilliseconds() !== 0)
      throw new RangeError(`a fire time must fall on a whole second, got ${t.toISOString()}`);
    return {
      year: t.getUTCFullYear(),
      month: MONTHS[t.getUTCMonth()]!,
      dayOfMonth: t.getUTCDate(),
      hour: t.getUTCHours(),
      minute: t.getUTCMinutes(),
      second: t.getUTCSeconds(),
      ...(describe ? { comment: describe(t) } : {}),
    };
  });
  return { calendars, timezone: 'UTC' };
}
