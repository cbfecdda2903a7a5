import fs from 'node:fs';
import path from 'node:path';
import { type BusinessCalendar } from '../../src/calendar/business-calendar';
import { loadCalendars } from '../../src/calendar/calendar-folder';
import { fireTimes } from '../../src/calendar/cadence';
import { explicitScheduleSpec } from '../../src/calendar/schedule-spec';
import { checkSchedulesFile } from '../../src/calendar/schedules-file';
import { describeInstant } from '../../src/calendar/zoned-time';

const EXAMPLE = path.join(__dirname, '../../examples/schedules.yaml');
const example = fs.readFileSync(EXAMPLE, 'utf8');
const NOW = new Date('2026-11-30T12:00:00Z');

let calendars: Map<string, BusinessCalendar>;
beforeAll(async () => {
  calendars = await loadCalendars(path.join(__dirname, '../../calendars'));
});

describe('the schedules file', () => {
  it('accepts the example against the shipped calendars', () => {
    const { value, problems } = checkSchedulesFile(example, EXAMPLE, calendars, NOW);
    expect(problems).toEqual([]);
    expect(value!.schedules.map((s) => s.id)).toEqual(['cohortflow-monthly', 'cohortflow-quarterly']);
    expect(value!.freezes.map((f) => [f.name, f.onPublish])).toEqual([
      ['quarter-close', 'wait'],
      ['peak-sales', 'skip'],
      ['crm-migration', 'wait'],
    ]);
  });

  it('names an unknown calendar and a schedule defined twice, at their lines', () => {
    const text = example.replace(
      'calendar: de }\n  - id: cohortflow-quarterly',
      'calendar: fr }\n  - id: cohortflow-monthly',
    );
    expect(checkSchedulesFile(text, 'schedules.yaml', calendars, NOW).problems).toEqual([
      'schedules.yaml:8: schedules.0.when.calendar: no calendar fr (calendars: de, us)',
      'schedules.yaml:9: schedules.1.id: schedule cohortflow-monthly is defined twice',
    ]);
  });

  it('says when a calendar runs out of holidays within the next half year', () => {
    const { problems } = checkSchedulesFile(example, 'schedules.yaml', calendars, new Date('2028-10-01T00:00:00Z'));
    // Six months from 1 October 2028 the monthly schedule looks at March 2029, the quarterly one
    // at the quarter from January 2029: neither is covered.
    expect(problems).toEqual([
      "schedules.yaml:8: schedules.0.when: calendar de lists holidays from 2025-01-01 through 2028-12-31; 2029-03-01 is outside it: add that year's holidays to the calendar file",
      "schedules.yaml:14: schedules.1.when: calendar de lists holidays from 2025-01-01 through 2028-12-31; 2029-01-01 is outside it: add that year's holidays to the calendar file",
    ]);
  });
});

describe('the Temporal schedule spec of explicit fire times', () => {
  it('pins each fire time to its UTC calendar date and time', () => {
    const { schedules } = checkSchedulesFile(example, EXAMPLE, calendars, NOW).value!;
    const monthly = schedules[0]!.when;
    const de = calendars.get('de')!;
    const times = fireTimes(monthly, de, NOW, 2);
    const spec = explicitScheduleSpec(times, (t) => describeInstant(t, 'Europe/Berlin'));
    expect(spec).toEqual({
      timezone: 'UTC',
      calendars: [
        {
          year: 2026,
          month: 'DECEMBER',
          dayOfMonth: 1,
          hour: 5,
          minute: 0,
          second: 0,
          comment: '2026-12-01T06:00+01:00[Europe/Berlin]',
        },
        {
          year: 2027,
          month: 'JANUARY',
          dayOfMonth: 4,
          hour: 5,
          minute: 0,
          second: 0,
          comment: '2027-01-04T06:00+01:00[Europe/Berlin]',
        },
      ],
    });
  });

  it('refuses a fire time between seconds, which a calendar spec cannot hold', () => {
    expect(() => explicitScheduleSpec([new Date('2026-12-01T05:00:00.250Z')])).toThrow(
      'a fire time must fall on a whole second, got 2026-12-01T05:00:00.250Z',
    );
  });
});
