import { DAY_MS, WEEKDAY_FACTOR } from './world';

const PAD2 = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

/**
 * The generated window: `days` UTC days, the last one being the (partial) day of `now`, so the
 * newest rows are fresh and none is later than `now`.
 */
export class Calendar {
  readonly start: number;
  private readonly prefixes: string[];

  constructor(
    readonly days: number,
    readonly now: number,
  ) {
    this.start = Math.floor(now / DAY_MS) * DAY_MS - (days - 1) * DAY_MS;
    this.prefixes = Array.from({ length: days }, (_, d) =>
      new Date(this.start + d * DAY_MS).toISOString().slice(0, 11),
    );
  }

  dayStart(day: number): number {
    return this.start + day * DAY_MS;
  }

  /** Milliseconds of the day that have happened by `now`: a full day except the last. */
  dayLength(day: number): number {
    return Math.min(DAY_MS, this.now - this.dayStart(day));
  }

  /** Weekly seasonality times a mild growth trend (+3% a month). */
  activityFactor(day: number): number {
    return WEEKDAY_FACTOR[new Date(this.dayStart(day)).getUTCDay()]! * (1 + (0.03 * day) / 30);
  }

  /** The last two days of a calendar month, when reports get exported. */
  isMonthEnd(day: number): boolean {
    const date = new Date(this.dayStart(day) + 2 * DAY_MS);
    return date.getUTCDate() <= 2;
  }

  /** `2026-03-01T12:34:56.789Z` for a time of day (ms) in a window day, without a Date. */
  iso(day: number, msOfDay: number): string {
    const s = Math.floor(msOfDay / 1000);
    return `${this.prefixes[day]}${PAD2[Math.floor(s / 3600)]}:${PAD2[Math.floor(s / 60) % 60]}:${PAD2[s % 60]}.${PAD3[msOfDay % 1000]}Z`;
  }
}

/** `2026-03-01T12:34:56Z`: billing exports carry whole seconds. */
export const isoSeconds = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** `2026-03-01 13:34:56+01:00`: the support desk writes local time with its offset. */
export function isoWithOffset(ms: number, offsetMin: number): string {
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19).replace('T', ' ');
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${local}${sign}${PAD2[Math.floor(abs / 60)]}:${PAD2[abs % 60]}`;
}
