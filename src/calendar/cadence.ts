import { z } from 'zod';
import { type BusinessCalendar, businessDaysBetween, TimeZoneName } from './business-calendar';
import { atLocalTime, localDate, Temporal } from './zoned-time';

// A calendar-aware cadence: "the 1st business day of each month at 06:00 Europe/Berlin", "the
// last business day of the quarter at 18:00 America/New_York". Its fire times are computed
// here, from the business calendar and the zone's rules, and handed to the schedule as
// instants (docs/calendars.md says why Temporal's own calendar specs cannot express this).

export const PERIODS = ['month', 'quarter'] as const;
export type Period = (typeof PERIODS)[number];

export const Cadence = z
  .object({
    every: z.enum(PERIODS),
    /** 1 = first business day of the period, 2 = second, …; −1 = last, −2 = second to last. */
    businessDay: z
      .number()
      .int()
      .refine((n) => n !== 0 && Math.abs(n) <= 20, 'a business day from 1 to 20, or −1 to −20 counting from the end'),
    /** Local wall-clock time, 24-hour. */
    at: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time such as 06:00'),
    /** The business calendar's id (calendars/<id>.yaml). */
    calendar: z.string().min(1),
    /** Defaults to the calendar's time zone. */
    timeZone: TimeZoneName.optional(),
  })
  .strict();
export type Cadence = z.infer<typeof Cadence>;

const MONTHS_PER: Record<Period, number> = { month: 1, quarter: 3 };

/** The first day of the month or quarter holding `date`. */
export function periodStart(date: Temporal.PlainDate, period: Period): Temporal.PlainDate {
  const month = period === 'month' ? date.month : date.month - ((date.month - 1) % 3);
  return Temporal.PlainDate.from({ year: date.year, month, day: 1 });
}

export const nextPeriod = (start: Temporal.PlainDate, period: Period, by = 1): Temporal.PlainDate =>
  start.add({ months: MONTHS_PER[period] * by });

/** The n-th business day (from the end when negative) of the period starting at `start`. */
export function nthBusinessDay(
  calendar: BusinessCalendar,
  start: Temporal.PlainDate,
  period: Period,
  n: number,
): Temporal.PlainDate {
  const days = businessDaysBetween(calendar, start, nextPeriod(start, period));
  const day = n > 0 ? days[n - 1] : days[days.length + n];
  if (!day)
    throw new RangeError(
      `the ${period} from ${start.toString()} has ${days.length} business days in calendar ${calendar.id}; business day ${n} does not exist`,
    );
  return day;
}

export const zoneOf = (cadence: Cadence, calendar: BusinessCalendar): string => cadence.timeZone ?? calendar.timeZone;

/** The cadence's slot in the period starting at `start`. */
export const slotOf = (cadence: Cadence, calendar: BusinessCalendar, start: Temporal.PlainDate): Date =>
  atLocalTime(
    nthBusinessDay(calendar, start, cadence.every, cadence.businessDay),
    cadence.at,
    zoneOf(cadence, calendar),
  );

function checkCalendar(cadence: Cadence, calendar: BusinessCalendar): void {
  if (cadence.calendar !== calendar.id)
    throw new RangeError(`the cadence runs on calendar ${cadence.calendar}, not ${calendar.id}`);
}

/** The next `count` fire times strictly after `after`, in order. */
export function fireTimes(cadence: Cadence, calendar: BusinessCalendar, after: Date, count: number): Date[] {
  checkCalendar(cadence, calendar);
  const times: Date[] = [];
  let start = periodStart(localDate(after, zoneOf(cadence, calendar)), cadence.every);
  while (times.length < count) {
    const slot = slotOf(cadence, calendar, start);
    if (slot.getTime() > after.getTime()) times.push(slot);
    start = nextPeriod(start, cadence.every);
  }
  return times;
}

/** Every fire time in (after, until], in order. Periods after `until` are not looked at (nor need a calendar). */
export function fireTimesBetween(cadence: Cadence, calendar: BusinessCalendar, after: Date, until: Date): Date[] {
  checkCalendar(cadence, calendar);
  const zone = zoneOf(cadence, calendar);
  const times: Date[] = [];
  const lastStart = periodStart(localDate(until, zone), cadence.every);
  for (
    let start = periodStart(localDate(after, zone), cadence.every);
    Temporal.PlainDate.compare(start, lastStart) <= 0;
    start = nextPeriod(start, cadence.every)
  ) {
    const slot = slotOf(cadence, calendar, start);
    if (slot.getTime() > after.getTime() && slot.getTime() <= until.getTime()) times.push(slot);
  }
  return times;
}

const ordinal = (n: number) => {
  const abs = Math.abs(n);
  const suffix =
    abs % 10 === 1 && abs !== 11
      ? 'st'
      : abs % 10 === 2 && abs !== 12
        ? 'nd'
        : abs % 10 === 3 && abs !== 13
          ? 'rd'
          : 'th';
  if (n === -1) return 'last';
  return n > 0 ? `${abs}${suffix}` : `${abs}${suffix}-last`;
};

/** In words, for lists and messages: "the 1st business day of each month at 06:00 Europe/Berlin (calendar de)". */
export const describeCadence = (cadence: Cadence, calendar: BusinessCalendar): string =>
  `the ${ordinal(cadence.businessDay)} business day of each ${cadence.every} at ${cadence.at} ${zoneOf(cadence, calendar)} (calendar ${calendar.id})`;
