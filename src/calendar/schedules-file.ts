import { z } from 'zod';
import { parseYamlInput } from '../yaml-input';
import { type BusinessCalendar } from './business-calendar';
import { Cadence, fireTimes } from './cadence';
import { FreezeWindow } from './freeze';

// The schedules and freeze windows of an installation, in one YAML file: which refreshes fire
// when, and when nothing may publish. Checked as a whole against the loaded calendars.

export const RefreshSchedule = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{1,63}$/, 'lower-case letters, digits and dashes'),
    /** The refresh's cadence, as its search attribute shows it. */
    cadence: z.enum(['monthly', 'quarterly']),
    tier: z.enum(['tactical', 'strategic', 'all']),
    rationale: z.string().min(5),
    when: Cadence,
  })
  .strict();
export type RefreshSchedule = z.infer<typeof RefreshSchedule>;

export const SchedulesFile = z
  .object({
    schedules: z.array(RefreshSchedule).min(1),
    freezes: z.array(FreezeWindow).default([]),
  })
  .strict();
export type SchedulesFile = z.infer<typeof SchedulesFile>;

/** How far ahead every calendar a schedule uses must list its holidays. */
export const COVERAGE_AHEAD_DAYS = 180;

/**
 * Parses the file and checks it against the calendars: unique ids and names, known calendars,
 * and holidays listed far enough ahead of `now` to compute the next half year of fire times.
 * Returns the problems, each at file:line; an empty list means the file is good.
 */
export function checkSchedulesFile(
  text: string,
  file: string,
  calendars: ReadonlyMap<string, BusinessCalendar>,
  now: Date,
): { value?: SchedulesFile; problems: string[] } {
  const { value, where } = parseYamlInput(SchedulesFile, text, file, 'schedules');
  const problems: string[] = [];
  const known = [...calendars.keys()].join(', ') || 'none';
  const seen = new Set<string>();
  value.schedules.forEach((s, i) => {
    if (seen.has(s.id)) problems.push(`${where(['schedules', i, 'id'])}: schedule ${s.id} is defined twice`);
    seen.add(s.id);
    const calendar = calendars.get(s.when.calendar);
    if (!calendar) {
      problems.push(
        `${where(['schedules', i, 'when', 'calendar'])}: no calendar ${s.when.calendar} (calendars: ${known})`,
      );
      return;
    }
    const horizon = new Date(now.getTime() + COVERAGE_AHEAD_DAYS * 86_400_000);
    try {
      fireTimes(s.when, calendar, horizon, 1);
    } catch (err) {
      problems.push(`${where(['schedules', i, 'when'])}: ${(err as Error).message}`);
    }
  });
  const names = new Set<string>();
  value.freezes.forEach((f, i) => {
    if (names.has(f.name)) problems.push(`${where(['freezes', i, 'name'])}: freeze ${f.name} is defined twice`);
    names.add(f.name);
    if (f.periodClose && !calendars.has(f.periodClose.calendar))
      problems.push(
        `${where(['freezes', i, 'periodClose', 'calendar'])}: no calendar ${f.periodClose.calendar} (calendars: ${known})`,
      );
  });
  return problems.length > 0 ? { problems } : { value, problems };
}
