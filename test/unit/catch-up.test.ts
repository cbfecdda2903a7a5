import path from 'node:path';
import { type BusinessCalendar } from '../../src/calendar/business-calendar';
import { loadCalendars } from '../../src/calendar/calendar-folder';
import { Cadence } from '../../src/calendar/cadence';
import { catchUp, judgeSlot } from '../../src/calendar/catch-up';

// The monthly cadence of the example: first business day at 06:00 Berlin. Its slots around the
// turn of 2026: Thu 1 Oct 04:00Z (summer time), Mon 2 Nov 05:00Z (the 1st is a Sunday),
// Tue 1 Dec 05:00Z, Mon 4 Jan 2027 05:00Z (New Year's Day, then a weekend).
const monthly = Cadence.parse({ every: 'month', businessDay: 1, at: '06:00', calendar: 'de' });
const OCT = new Date('2026-10-01T04:00:00Z');
const NOV = new Date('2026-11-02T05:00:00Z');
const DEC = new Date('2026-12-01T05:00:00Z');
const JAN = new Date('2027-01-04T05:00:00Z');

let de: BusinessCalendar;
beforeAll(async () => {
  de = (await loadCalendars(path.join(__dirname, '../../calendars'))).get('de')!;
});

describe('catching up after downtime', () => {
  it('runs nothing when no slot was missed', () => {
    expect(catchUp(monthly, de, { lastSlot: NOV, now: new Date('2026-11-20T00:00:00Z') })).toMatchObject({
      run: null,
      superseded: [],
    });
  });

  it('runs a missed slot once on recovery', () => {
    expect(catchUp(monthly, de, { lastSlot: OCT, now: new Date('2026-11-10T00:00:00Z') })).toMatchObject({
      run: NOV,
      superseded: [],
    });
  });

  it('runs only the latest of several missed slots, and never the same slot twice', () => {
    const now = new Date('2026-12-20T00:00:00Z');
    const first = catchUp(monthly, de, { lastSlot: OCT, now });
    expect(first).toMatchObject({ run: DEC, superseded: [NOV] });
    expect(first.reason).toBe(
      '2 slots were missed: the latest, 2026-12-01T05:00:00.000Z, runs now, once; the others are superseded',
    );
    // The starter records the slot it ran; asked again (a second recovery, a restart), nothing runs.
    expect(catchUp(monthly, de, { lastSlot: first.run, now })).toMatchObject({ run: null, superseded: [] });
  });

  it('leaves missed slots to the next one when that is due within three days', () => {
    const decision = catchUp(monthly, de, { lastSlot: OCT, now: new Date('2027-01-02T12:00:00Z') });
    expect(decision).toMatchObject({ run: null, superseded: [NOV, DEC] });
    expect(decision.reason).toBe(
      'the next slot, 2027-01-04T05:00:00.000Z, is due within 72 h: it stands in for the missed ones',
    );
  });

  it('does not backfill a schedule that never ran', () => {
    expect(catchUp(monthly, de, { lastSlot: null, now: new Date('2026-12-20T00:00:00Z') }).run).toBeNull();
  });
});

describe('judging a run started for a slot', () => {
  it('lets an on-time slot run', () => {
    expect(judgeSlot(monthly, de, { slot: DEC, lastSlot: NOV, now: new Date(DEC.getTime() + 5_000) })).toEqual({
      kind: 'run',
    });
  });

  it('refuses a slot that already ran', () => {
    expect(judgeSlot(monthly, de, { slot: DEC, lastSlot: DEC, now: new Date(DEC.getTime() + 5_000) })).toEqual({
      kind: 'already-ran',
      lastSlot: DEC,
    });
  });

  it('refuses an old slot the schedule catches up when a newer one is due', () => {
    expect(judgeSlot(monthly, de, { slot: NOV, lastSlot: OCT, now: new Date('2026-12-05T00:00:00Z') })).toEqual({
      kind: 'superseded',
      by: DEC,
    });
  });

  it('refuses a late slot when the next one is about to fire', () => {
    expect(judgeSlot(monthly, de, { slot: DEC, lastSlot: NOV, now: new Date('2027-01-02T12:00:00Z') })).toEqual({
      kind: 'superseded',
      by: JAN,
    });
  });

  it('refuses a time that is no longer a slot after a holiday was added to the calendar', () => {
    const withCompanyDay: BusinessCalendar = {
      ...de,
      holidays: new Map([...de.holidays, ['2026-12-01', 'Company day']]),
    };
    expect(judgeSlot(monthly, withCompanyDay, { slot: DEC, lastSlot: NOV, now: DEC })).toEqual({
      kind: 'not-a-slot',
      next: new Date('2026-12-02T05:00:00Z'),
    });
  });
});
