import fs from 'node:fs';

/** The end of a server's log file, for an error message that says why it stopped. */
export function lastLines(file: string, count = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '';
  }
}
