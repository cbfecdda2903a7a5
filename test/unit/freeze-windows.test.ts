import path from 'node:path';
import { type BusinessCalendar } from '../../src/calendar/business-calendar';
import { loadCalendars } from '../../src/calendar/calendar-folder';
import {
  activeFreezes,
  FreezeWindow,
  freezeClearsAt,
  occurrencesBetween,
  publishDecision,
} from '../../src/calendar/freeze';

let calendars: Map<string, BusinessCalendar>;
beforeAll(async () => {
  calendars = await loadCalendars(path.join(__dirname, '../../calendars'));
});

const quarterClose = FreezeWindow.parse({
  name: 'quarter-close',
  reason: 'Finance closes the quarter.',
  timeZone: 'Europe/Berlin',
  periodClose: { period: 'quarter', calendar: 'de', lastBusinessDays: 2, firstBusinessDays: 3 },
});
const peakSales = FreezeWindow.parse({
  name: 'peak-sales',
  reason: 'Black Friday to Christmas.',
  timeZone: 'Europe/Berlin',
  onPublish: 'skip',
  yearly: { from: '11-20T00:00', until: '12-27T00:00' },
});
const at = (iso: string) => new Date(iso);

describe('a quarter-close freeze', () => {
  it('runs from the second-to-last business day of the quarter through the third business day of the next', () => {
    // Q4 2026 in Germany: Wed 30 and Thu 31 December are the last two business days; 1 January
    // is a holiday, 2–3 a weekend, so 4, 5 and 6 January are the first three. Midnight Berlin
    // (CET, +01:00) to midnight.
    const [occurrence] = activeFreezes([quarterClose], calendars, at('2027-01-02T12:00:00Z'));
    expect(occurrence).toMatchObject({
      name: 'quarter-close',
      start: at('2026-12-29T23:00:00Z'),
      end: at('2027-01-06T23:00:00Z'),
    });
  });

  it('makes a run reaching publish inside it wait until it ends, and lets one at the end through', () => {
    expect(publishDecision([quarterClose], calendars, at('2027-01-05T09:00:00Z'))).toMatchObject({
      kind: 'wait',
      until: at('2027-01-06T23:00:00Z'),
    });
    expect(publishDecision([quarterClose], calendars, at('2027-01-06T23:00:00Z'))).toEqual({ kind: 'publish' });
    expect(publishDecision([quarterClose], calendars, at('2026-12-29T22:59:59Z'))).toEqual({ kind: 'publish' });
  });

  it('lists each quarter close in a year', () => {
    const year = occurrencesBetween(quarterClose, calendars, at('2027-01-10T00:00:00Z'), at('2027-12-31T00:00:00Z'));
    expect(year.map((o) => [o.start.toISOString(), o.end.toISOString()])).toEqual([
      // 30–31 March 2027 (CEST since the 28th), 1, 2 and 5 April (Good Friday and Easter
      // Monday fall on 26 and 29 March this year, before the close).
      ['2027-03-29T22:00:00.000Z', '2027-04-05T22:00:00.000Z'],
      ['2027-06-28T22:00:00.000Z', '2027-07-05T22:00:00.000Z'],
      ['2027-09-28T22:00:00.000Z', '2027-10-05T22:00:00.000Z'],
      ['2027-12-29T23:00:00.000Z', '2028-01-05T23:00:00.000Z'],
    ]);
  });
});

describe('a yearly freeze', () => {
  it('skips the publish of a run that reaches it, when its policy says skip', () => {
    const decision = publishDecision([quarterClose, peakSales], calendars, at('2026-12-01T05:00:00Z'));
    expect(decision).toMatchObject({ kind: 'skip', freezes: [{ name: 'peak-sales' }] });
  });

  it('can span the turn of the year', () => {
    const holidays = FreezeWindow.parse({
      name: 'year-end',
      reason: 'Nobody is around to look.',
      timeZone: 'America/New_York',
      yearly: { from: '12-20T00:00', until: '01-06T00:00' },
    });
    expect(activeFreezes([holidays], calendars, at('2027-01-02T12:00:00Z'))).toMatchObject([
      { start: at('2026-12-20T05:00:00Z'), end: at('2027-01-06T05:00:00Z') },
    ]);
    expect(activeFreezes([holidays], calendars, at('2026-12-19T12:00:00Z'))).toEqual([]);
  });
});

describe('freezes that follow one another', () => {
  it('wait until none is in force', () => {
    const migration = FreezeWindow.parse({
      name: 'crm-migration',
      reason: 'The CRM moves to its new system.',
      timeZone: 'Europe/Berlin',
      once: { from: '2027-01-06T20:00', until: '2027-01-08T12:00' },
    });
    expect(freezeClearsAt([quarterClose, migration], calendars, at('2027-01-04T08:00:00Z'))).toEqual(
      at('2027-01-08T11:00:00Z'),
    );
  });

  it('keeps real durations across a change to summer time', () => {
    const night = FreezeWindow.parse({
      name: 'night',
      reason: 'Maintenance over the clock change.',
      timeZone: 'Europe/Berlin',
      once: { from: '2026-03-29T01:00', until: '2026-03-29T04:00' },
    });
    const [o] = occurrencesBetween(night, calendars, at('2026-03-28T00:00:00Z'), at('2026-03-30T00:00:00Z'));
    // 01:00 CET is 00:00Z, 04:00 CEST is 02:00Z: three hours on the wall clock, two in fact.
    expect([o!.start, o!.end]).toEqual([at('2026-03-29T00:00:00Z'), at('2026-03-29T02:00:00Z')]);
  });
});

describe('a freeze window definition', () => {
  const base = { name: 'x-freeze', reason: 'A reason long enough.', timeZone: 'Europe/Berlin' };
  it.each([
    ['no kind', { ...base }, 'give exactly one of once, yearly, periodClose (got none)'],
    [
      'two kinds',
      {
        ...base,
        once: { from: '2027-01-01T00:00', until: '2027-01-02T00:00' },
        yearly: { from: '01-01T00:00', until: '01-02T00:00' },
      },
      'give exactly one of once, yearly, periodClose (got once, yearly)',
    ],
    [
      'February 29',
      { ...base, yearly: { from: '02-29T00:00', until: '03-01T00:00' } },
      'not February 29: the window would exist only in leap years',
    ],
    [
      'an end before the start',
      { ...base, once: { from: '2027-01-02T00:00', until: '2027-01-01T00:00' } },
      'ends at or before it starts (2027-01-02T00:00)',
    ],
    [
      'a day that does not exist',
      { ...base, once: { from: '2027-02-30T00:00', until: '2027-03-01T00:00' } },
      'not a date in the calendar',
    ],
    [
      'a close of no days',
      { ...base, periodClose: { period: 'month', calendar: 'de', lastBusinessDays: 0, firstBusinessDays: 0 } },
      'at least one business day on either side',
    ],
  ])('refuses %s', (_, window, message) => {
    const parsed = FreezeWindow.safeParse(window);
    expect(parsed.error?.issues.map((i) => i.message)).toEqual([message]);
  });
});
