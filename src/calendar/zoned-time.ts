import { Temporal } from '@js-temporal/polyfill';

// Wall-clock time in a named time zone, through the TC39 Temporal API (the polyfill until Node
// ships it). Its one rule for a local time that does not exist or exists twice is the one a
// schedule needs, 'compatible' (RFC 5545): a time inside a spring-forward gap moves forward by
// the gap (02:30 → 03:30), a time in the autumn overlap takes the earlier of its two instants.
// Time-zone rules come from the ICU data of the Node running this, so these functions belong
// in activities or the client, never in workflow code (a worker upgrade could change a result
// on replay); their results reach workflows as instants.

/** A calendar date, 'YYYY-MM-DD'. */
export type IsoDate = string;

export const isoDate = (d: Temporal.PlainDate): IsoDate => d.toString();
export const plainDate = (d: IsoDate): Temporal.PlainDate => Temporal.PlainDate.from(d, { overflow: 'reject' });

/** Whether 'YYYY-MM-DD' names a real day (2027-02-30 does not). */
export function isDate(d: string): boolean {
  try {
    plainDate(d);
    return true;
  } catch {
    return false;
  }
}

/** Whether the runtime knows this IANA time zone (e.g. Europe/Berlin). */
export function isTimeZone(zone: string): boolean {
  try {
    Temporal.Now.zonedDateTimeISO(zone);
    return true;
  } catch {
    return false;
  }
}

/** The instant the wall clock in `zone` shows `time` ('HH:MM') on `date`. */
export function atLocalTime(date: Temporal.PlainDate, time: string, zone: string): Date {
  const zoned = date
    .toPlainDateTime(Temporal.PlainTime.from(time, { overflow: 'reject' }))
    .toZonedDateTime(zone, { disambiguation: 'compatible' });
  return new Date(zoned.epochMilliseconds);
}

/** The local date and time an instant has in `zone`. */
export function localDateTime(instant: Date, zone: string): Temporal.PlainDateTime {
  return Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO(zone).toPlainDateTime();
}

/** The local date of an instant in `zone`. */
export const localDate = (instant: Date, zone: string): Temporal.PlainDate =>
  localDateTime(instant, zone).toPlainDate();

/** An instant written with the zone's offset, e.g. 2026-12-01T06:00:00+01:00[Europe/Berlin], for messages. */
export const describeInstant = (instant: Date, zone: string): string =>
  Temporal.Instant.fromEpochMilliseconds(instant.getTime()).toZonedDateTimeISO(zone).toString({
    smallestUnit: 'minute',
  });

export { Temporal };
