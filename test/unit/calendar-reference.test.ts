import path from 'node:path';
import fixture from '../fixtures/reference/calendars.json';
import { loadCalendars } from '../../src/calendar/calendar-folder';
import { type BusinessCalendar } from '../../src/calendar/business-calendar';
import { Cadence, fireTimes } from '../../src/calendar/cadence';
import { atLocalTime, plainDate } from '../../src/calendar/zoned-time';

// The shipped holiday files and the fire-time arithmetic against an independent computation:
// the `holidays` package and Python's zoneinfo (scripts/reference/calendars.py).

let calendars: Map<string, BusinessCalendar>;
beforeAll(async () => {
  calendars = await loadCalendars(path.join(__dirname, '../../calendars'));
});

describe('the shipped calendars', () => {
  it.each(Object.entries(fixture.holidays))('%s lists every holiday the holidays package knows', (id, holidays) => {
    const calendar = calendars.get(id)!;
    const missing = holidays.filter((h) => !calendar.holidays.has(h.date));
    expect(missing).toEqual([]);
  });
});

describe('fire times, against Python', () => {
  it.each(fixture.fire_times)(
    'business day $businessDay of each $every at $at $timeZone on calendar $calendar',
    ({ expected, after, count, ...when }) => {
      const cadence = Cadence.parse(when);
      const times = fireTimes(cadence, calendars.get(cadence.calendar)!, new Date(after), count);
      expect(times.map((t) => t.toISOString())).toEqual(expected);
    },
  );
});

describe('local wall-clock times, against Python (fold=0)', () => {
  it.each(fixture.local_times)('$date $time in $timeZone', ({ date, time, timeZone, instant }) => {
    expect(atLocalTime(plainDate(date), time, timeZone).toISOString()).toBe(instant);
  });
});
