import { z } from 'zod';
import { type BusinessCalendar, TimeZoneName } from './business-calendar';
import { nextPeriod, nthBusinessDay, PERIODS, periodStart } from './cadence';
import { atLocalTime, isDate, localDate, localDateTime, Temporal } from './zoned-time';

// Freeze windows: named stretches of local time (quarter close, peak sales, a migration
// weekend) during which nothing is published. A run that reaches publish inside one waits until
// no freeze is in force, or is skipped, as the freeze's policy says. Edges are local wall-clock
// times in the freeze's zone, start inclusive and end exclusive.

const LocalDateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d$/, 'a local date and time such as 2027-02-12T18:00')
  .refine((s) => isDate(s.slice(0, 10)), 'not a date in the calendar');
const MonthDayTime = z
  .string()
  .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d$/, 'a month, day and time such as 11-20T00:00')
  .refine((s) => !s.startsWith('02-29'), 'not February 29: the window would exist only in leap years');

export const FreezeWindow = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{1,63}$/, 'lower-case letters, digits and dashes'),
    reason: z.string().min(10, 'say in a sentence why nothing may publish then'),
    timeZone: TimeZoneName,
    /** A run reaching publish inside the window: `wait` until no freeze is in force, or `skip` its publish. */
    onPublish: z.enum(['wait', 'skip']).default('wait'),
    once: z.object({ from: LocalDateTime, until: LocalDateTime }).strict().optional(),
    yearly: z.object({ from: MonthDayTime, until: MonthDayTime }).strict().optional(),
    /** The last business days of each period and the first of the next, whole days (00:00 to 00:00). */
    periodClose: z
      .object({
        period: z.enum(PERIODS),
        calendar: z.string().min(1),
        lastBusinessDays: z.number().int().min(0).max(20),
        firstBusinessDays: z.number().int().min(0).max(20),
      })
      .strict()
      .refine((p) => p.lastBusinessDays + p.firstBusinessDays > 0, 'at least one business day on either side')
      .optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const kinds = (['once', 'yearly', 'periodClose'] as const).filter((k) => f[k] !== undefined);
    if (kinds.length !== 1)
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `give exactly one of once, yearly, periodClose (got ${kinds.join(', ') || 'none'})`,
      });
    if (f.once && f.once.from >= f.once.until)
      ctx.addIssue({
        code: 'custom',
        path: ['once', 'until'],
        message: `ends at or before it starts (${f.once.from})`,
      });
    if (f.yearly && f.yearly.from === f.yearly.until)
      ctx.addIssue({ code: 'custom', path: ['yearly', 'until'], message: 'ends where it starts' });
  });
export type FreezeWindow = z.infer<typeof FreezeWindow>;

export interface FreezeOccurrence {
  name: string;
  reason: string;
  onPublish: 'wait' | 'skip';
  start: Date;
  end: Date;
}

type Calendars = ReadonlyMap<string, BusinessCalendar>;

const at = (dateTime: string, zone: string) => {
  const [date, time] = dateTime.split('T') as [string, string];
  return atLocalTime(Temporal.PlainDate.from(date), time, zone);
};

function calendarOf(calendars: Calendars, id: string): BusinessCalendar {
  const calendar = calendars.get(id);
  if (!calendar) throw new RangeError(`freeze window names calendar ${id}, which is not loaded`);
  return calendar;
}

/** The freeze around the boundary where the period before `boundary` ends. */
function periodCloseAround(f: FreezeWindow, calendars: Calendars, boundary: Temporal.PlainDate): [Date, Date] {
  const p = f.periodClose!;
  const calendar = calendarOf(calendars, p.calendar);
  const previous = nextPeriod(boundary, p.period, -1);
  const first = p.lastBusinessDays > 0 ? nthBusinessDay(calendar, previous, p.period, -p.lastBusinessDays) : boundary;
  const last =
    p.firstBusinessDays > 0
      ? nthBusinessDay(calendar, boundary, p.period, p.firstBusinessDays).add({ days: 1 })
      : boundary;
  return [atLocalTime(first, '00:00', f.timeZone), atLocalTime(last, '00:00', f.timeZone)];
}

/** Every occurrence of the window that overlaps [from, to]. */
export function occurrencesBetween(f: FreezeWindow, calendars: Calendars, from: Date, to: Date): FreezeOccurrence[] {
  const spans: [Date, Date][] = [];
  if (f.once) spans.push([at(f.once.from, f.timeZone), at(f.once.until, f.timeZone)]);
  if (f.yearly) {
    const wraps = f.yearly.until <= f.yearly.from;
    for (let y = localDateTime(from, f.timeZone).year - 1; y <= localDateTime(to, f.timeZone).year; y += 1)
      spans.push([at(`${y}-${f.yearly.from}`, f.timeZone), at(`${wraps ? y + 1 : y}-${f.yearly.until}`, f.timeZone)]);
  }
  if (f.periodClose) {
    const period = f.periodClose.period;
    const last = nextPeriod(periodStart(localDate(to, f.timeZone), period), period);
    for (
      let b = periodStart(localDate(from, f.timeZone), period);
      Temporal.PlainDate.compare(b, last) <= 0;
      b = nextPeriod(b, period)
    )
      spans.push(periodCloseAround(f, calendars, b));
  }
  return spans
    .filter(([start, end]) => start.getTime() <= to.getTime() && end.getTime() > from.getTime())
    .map(([start, end]) => ({ name: f.name, reason: f.reason, onPublish: f.onPublish, start, end }));
}

/** The freezes in force at `instant`. */
export const activeFreezes = (
  freezes: readonly FreezeWindow[],
  calendars: Calendars,
  instant: Date,
): FreezeOccurrence[] =>
  freezes
    .flatMap((f) => occurrencesBetween(f, calendars, instant, instant))
    .filter((o) => o.start.getTime() <= instant.getTime());

/** The first instant at or after `instant` when no freeze is in force (freezes that touch or overlap are chained). */
export function freezeClearsAt(freezes: readonly FreezeWindow[], calendars: Calendars, instant: Date): Date {
  let t = instant;
  for (let i = 0; i < 1_000; i += 1) {
    const active = activeFreezes(freezes, calendars, t);
    if (active.length === 0) return t;
    t = new Date(Math.max(...active.map((o) => o.end.getTime())));
  }
  throw new RangeError(`freezes follow one another without a gap from ${instant.toISOString()} on`);
}

export type PublishDecision =
  | { kind: 'publish' }
  | { kind: 'wait'; until: Date; freezes: FreezeOccurrence[] }
  | { kind: 'skip'; freezes: FreezeOccurrence[] };

/** What a run that reaches publish at `instant` does: any freeze in force that says skip wins over waiting. */
export function publishDecision(
  freezes: readonly FreezeWindow[],
  calendars: Calendars,
  instant: Date,
): PublishDecision {
  const active = activeFreezes(freezes, calendars, instant);
  if (active.length === 0) return { kind: 'publish' };
  if (active.some((o) => o.onPublish === 'skip')) return { kind: 'skip', freezes: active };
  return { kind: 'wait', until: freezeClearsAt(freezes, calendars, instant), freezes: active };
}
