import { z } from 'zod';
import { parseYamlInput } from '../yaml-input';
import { isDate, isoDate, type IsoDate, isTimeZone, Temporal } from './zoned-time';

// A business-day calendar: which days are weekends and which dates are holidays, for one
// place. Holidays are data (calendars/<id>.yaml), listed for the years the file says it
// covers; asking about a date outside that range is an error rather than a silent "no
// holiday", so a calendar nobody extended for next year stops the schedule loudly.

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
const Weekday = z.enum(WEEKDAYS);

const DateText = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2026-12-24')
  .refine(isDate, 'not a date in the calendar');

export const TimeZoneName = z
  .string()
  .refine(isTimeZone, 'an IANA time zone such as Europe/Berlin or America/New_York');

export const CalendarFile = z
  .object({
    id: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/, 'lower-case letters, digits and dashes, 2–32'),
    name: z.string().min(1),
    /** The zone cadences on this calendar run in unless they name another. */
    timeZone: TimeZoneName,
    weekend: z.array(Weekday).max(6).default(['saturday', 'sunday']),
    /** The holidays are complete for these dates (inclusive). */
    covers: z.object({ from: DateText, through: DateText }).strict(),
    holidays: z.array(z.object({ date: DateText, name: z.string().min(1) }).strict()),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.covers.from > c.covers.through)
      ctx.addIssue({
        code: 'custom',
        path: ['covers'],
        message: `from ${c.covers.from} is after through ${c.covers.through}`,
      });
    const seen = new Set<string>();
    c.holidays.forEach((h, i) => {
      if (h.date < c.covers.from || h.date > c.covers.through)
        ctx.addIssue({
          code: 'custom',
          path: ['holidays', i, 'date'],
          message: `${h.date} is outside covers (${c.covers.from} to ${c.covers.through})`,
        });
      if (seen.has(h.date))
        ctx.addIssue({ code: 'custom', path: ['holidays', i, 'date'], message: `${h.date} is listed twice` });
      seen.add(h.date);
    });
  });
export type CalendarFile = z.infer<typeof CalendarFile>;

export interface BusinessCalendar {
  id: string;
  name: string;
  timeZone: string;
  /** ISO days of the week (1 = Monday … 7 = Sunday) that are not business days. */
  weekend: ReadonlySet<number>;
  holidays: ReadonlyMap<IsoDate, string>;
  covers: { from: IsoDate; through: IsoDate };
}

export class OutsideCalendarError extends RangeError {
  constructor(calendar: BusinessCalendar, date: IsoDate) {
    super(
      `calendar ${calendar.id} lists holidays from ${calendar.covers.from} through ${calendar.covers.through}; ` +
        `${date} is outside it: add that year's holidays to the calendar file`,
    );
    this.name = 'OutsideCalendarError';
  }
}

export const businessCalendar = (file: CalendarFile): BusinessCalendar => ({
  id: file.id,
  name: file.name,
  timeZone: file.timeZone,
  weekend: new Set(file.weekend.map((d) => WEEKDAYS.indexOf(d) + 1)),
  holidays: new Map(file.holidays.map((h) => [h.date, h.name])),
  covers: file.covers,
});

/** Parses a calendar file; throws InvalidInputError naming file, line and path. */
export const parseCalendar = (text: string, file: string): BusinessCalendar =>
  businessCalendar(parseYamlInput(CalendarFile, text, file, 'calendar').value);

export type DayKind = { business: true } | { business: false; reason: 'weekend' | { holiday: string } };

/** Whether `date` is a business day, and if not why. */
export function dayKind(calendar: BusinessCalendar, date: Temporal.PlainDate): DayKind {
  const iso = isoDate(date);
  if (iso < calendar.covers.from || iso > calendar.covers.through) throw new OutsideCalendarError(calendar, iso);
  if (calendar.weekend.has(date.dayOfWeek)) return { business: false, reason: 'weekend' };
  const holiday = calendar.holidays.get(iso);
  return holiday === undefined ? { business: true } : { business: false, reason: { holiday } };
}

export const isBusinessDay = (calendar: BusinessCalendar, date: Temporal.PlainDate): boolean =>
  dayKind(calendar, date).business;

/** The business days in [start, end), in order. */
export function businessDaysBetween(
  calendar: BusinessCalendar,
  start: Temporal.PlainDate,
  end: Temporal.PlainDate,
): Temporal.PlainDate[] {
  const days: Temporal.PlainDate[] = [];
  for (let d = start; Temporal.PlainDate.compare(d, end) < 0; d = d.add({ days: 1 }))
    if (isBusinessDay(calendar, d)) days.push(d);
  return days;
}
