import fs from 'node:fs/promises';
import { InvalidInputError } from '../yaml-input';
import type { BusinessCalendar } from './business-calendar';
import { loadCalendars } from './calendar-folder';
import type { FreezeWindow } from './freeze';
import { checkSchedulesFile, type RefreshSchedule } from './schedules-file';

/** Where an installation keeps its business calendars and its schedules file. */
export interface CalendarSettings {
  schedulesFile: string;
  calendarsDir: string;
}

/** The schedules and freeze windows of the schedules file, with the calendars they use. */
export interface CalendarInstallation {
  schedules: RefreshSchedule[];
  freezes: FreezeWindow[];
  calendars: ReadonlyMap<string, BusinessCalendar>;
}

/**
 * Reads the calendars and the schedules file afresh: an edit takes effect at the next schedule
 * update or publish check without a restart. Any problem is an InvalidInputError naming file and line.
 */
export async function loadInstallation(settings: CalendarSettings, now: Date): Promise<CalendarInstallation> {
  const calendars = await loadCalendars(settings.calendarsDir);
  const text = await fs.readFile(settings.schedulesFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new InvalidInputError('schedules', [
      `${settings.schedulesFile}: cannot be read (${err.code ?? err.message})`,
    ]);
  });
  const { value, problems } = checkSchedulesFile(text, settings.schedulesFile, calendars, now);
  if (!value) throw new InvalidInputError('schedules', problems);
  return { schedules: value.schedules, freezes: value.freezes, calendars };
}

/** The schedule, or a RangeError naming the ones there are. */
export function scheduleById(installation: CalendarInstallation, id: string): RefreshSchedule {
  const schedule = installation.schedules.find((s) => s.id === id);
  if (!schedule)
    throw new RangeError(`no schedule ${id} (schedules: ${installation.schedules.map((s) => s.id).join(', ')})`);
  return schedule;
}
