import fs from 'node:fs/promises';
import path from 'node:path';
import { InvalidInputError } from '../yaml-input';
import { type BusinessCalendar, parseCalendar } from './business-calendar';

/**
 * Loads every calendars/<id>.yaml; a file's name must be its id, so a schedule naming
 * calendar `de` always reads de.yaml. Any problem in any file rejects them all.
 */
export async function loadCalendars(dir: string): Promise<Map<string, BusinessCalendar>> {
  const files = (await fs.readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const calendars = new Map<string, BusinessCalendar>();
  const problems: string[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    try {
      const calendar = parseCalendar(await fs.readFile(file, 'utf8'), file);
      if (calendar.id !== name.replace(/\.ya?ml$/, ''))
        problems.push(`${file}: id ${calendar.id} does not match the file name (call it ${calendar.id}.yaml)`);
      else calendars.set(calendar.id, calendar);
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      problems.push(...err.problems);
    }
  }
  if (problems.length > 0) throw new InvalidInputError('calendars', problems);
  return calendars;
}
