import fs from 'node:fs';
import path from 'node:path';

/**
 * Takes every permission for other users off dir and everything below it. New files are already
 * private (`cohortflow start` runs with umask 077); this fixes what older versions left behind,
 * such as PGlite's files created 0666.
 */
export function makePrivate(dir: string): void {
  const visit = (p: string) => {
    const s = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!s || s.isSymbolicLink()) return;
    if (s.mode & 0o007) fs.chmodSync(p, s.mode & 0o7770);
    if (s.isDirectory()) for (const name of fs.readdirSync(p)) visit(path.join(p, name));
  };
  visit(dir);
}
