import fs from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { validateCohorts } from '../api/schemas/cohorts';
import { checkCatalog, readFolder, withCandidates, type FolderFile } from '../cohorts/catalog-folder';
import { callRoute } from './api-client';
import { write } from './output';

// `cohortflow cohorts validate [PATH...]`: every problem of the catalog with the given files and
// folders in it, at once, as file:line: path: reason. Through the API (the server's catalog and
// the event types its database knows), or --offline against a catalog folder here, for CI on a
// pull request of catalog changes.

const isYaml = (name: string) => /\.ya?ml$/.test(name);

/** The files given, folders expanded to their *.yaml / *.yml; each named as the person wrote its path. */
export async function candidateFiles(paths: string[]): Promise<FolderFile[]> {
  const files: FolderFile[] = [];
  for (const given of paths) {
    const stat = await fs.stat(given).catch((err: NodeJS.ErrnoException) => {
      throw new Error(`${given}: ${err.code === 'ENOENT' ? 'no such file or folder' : err.message}`);
    });
    if (stat.isDirectory()) {
      const names = (await fs.readdir(given)).filter(isYaml).sort();
      if (names.length === 0) throw new Error(`${given}: a folder without any .yaml or .yml file`);
      for (const name of names) {
        const file = path.join(given, name);
        files.push({ name: file, text: await fs.readFile(file, 'utf8') });
      }
    } else files.push({ name: given, text: await fs.readFile(given, 'utf8') });
  }
  return files;
}

export interface OfflineValidation {
  valid: boolean;
  cohorts: number;
  problems: string[];
  /** What could not be checked without the database. */
  unchecked: string[];
}

/**
 * The catalog folder `catalogDir` with the candidates in it, checked here without a database:
 * everything but which product event types exist, unless `eventTypes` lists them.
 */
export async function validateOffline(
  catalogDir: string,
  candidates: FolderFile[],
  eventTypes?: ReadonlySet<string>,
): Promise<OfflineValidation> {
  const shown = path.relative(process.cwd(), catalogDir) || '.';
  const folder = (await readFolder(catalogDir)).map((f) => ({ ...f, name: path.join(shown, f.name) }));
  // A folder given that is the catalog itself adds nothing new: same names, same texts.
  const { entries, problems } = checkCatalog(withCandidates(folder, candidates), eventTypes);
  return {
    valid: problems.length === 0,
    cohorts: entries.length,
    problems,
    unchecked: eventTypes
      ? []
      : [
          'product event types: which exist is known to the database (the built-in billing and support types were checked); pass --event-types, or validate through the API',
        ],
  };
}

async function eventTypesOf(list: string | undefined): Promise<Set<string> | undefined> {
  if (list === undefined) return undefined;
  // A file (one type a line, e.g. exported by `psql -Atc 'SELECT event_type FROM event_types'`) or a comma list.
  const text = await fs.readFile(list, 'utf8').catch(() => list.replace(/,/g, '\n'));
  return new Set(
    text
      .split('\n')
      .map((t) => t.trim())
      .filter(Boolean),
  );
}

export function registerValidateCommand(cohorts: Command): void {
  cohorts
    .command('validate [paths...]')
    .description(
      'check the catalog with these files and folders in it (each replaces the cohort it declares) and print every problem; changes nothing',
    )
    .option('--offline', 'check here against a catalog folder, without the API or a database')
    .option('--catalog <dir>', 'the catalog folder for --offline (default: COHORTFLOW_CATALOG_DIR or ./catalog)')
    .option('--event-types <list>', 'for --offline: known product event types, comma-separated or a file of one a line')
    .action(async (paths: string[], o: { offline?: boolean; catalog?: string; eventTypes?: string }) => {
      const candidates = await candidateFiles(paths);
      const offline = o.offline || o.catalog !== undefined;
      if (!offline && o.eventTypes) throw new Error('--event-types goes with --offline: the API knows its event types');
      let valid: boolean;
      let lines: string[];
      if (offline) {
        const catalogDir = path.resolve(o.catalog ?? process.env.COHORTFLOW_CATALOG_DIR ?? 'catalog');
        const answer = await validateOffline(catalogDir, candidates, await eventTypesOf(o.eventTypes));
        valid = answer.valid;
        lines = [
          ...(answer.valid
            ? [
                `valid: ${answer.cohorts} cohort(s) in ${path.relative(process.cwd(), catalogDir) || '.'} with the files given`,
              ]
            : [`invalid: ${answer.problems.length} problem(s)`, ...answer.problems.map((p) => `  ${p}`)]),
          ...answer.unchecked.map((u) => `not checked offline: ${u}`),
        ];
      } else {
        const answer = await callRoute(validateCohorts, {
          body: candidates.length ? { files: candidates.map((f) => ({ name: f.name, yaml: f.text })) } : {},
        });
        valid = answer.valid;
        lines = answer.valid
          ? [
              `valid: ${answer.cohorts} cohort(s)${candidates.length ? `, with ${candidates.length} file(s) given` : ''}`,
            ]
          : [`invalid: ${answer.problems.length} problem(s)`, ...answer.problems.map((p) => `  ${p}`)];
      }
      write(lines);
      if (!valid) process.exitCode = 1;
    });
}
