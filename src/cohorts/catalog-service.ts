import fs from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../data/db';
import { CatalogRefusal, InvalidDefinitionError, type CatalogEntry, type Referrer } from './catalog';
import {
  checkCatalog,
  declaredId,
  deprecated,
  fileOf,
  readFolder,
  restore,
  withFile,
  writeAtomically,
  type FolderFile,
} from './catalog-folder';
import { cohortIn, cohortNotFound, latestVersions, readCatalog, summaryOf, type VersionSummary } from './catalog-reads';
import { referencedCohorts } from './rule-walk';
import { enforceGuardrail } from './guardrail';
import { knownEventTypes } from './run-compute';
import { definitionVersions, recordDefinition, recordDeletion } from './versions';

// Changing the catalog: the folder is the source of definitions, and every accepted change is
// validated with the whole catalog, written atomically and recorded as a version — or refused
// with nothing changed.

export type AppliedVersion = VersionSummary & { file: string; created: boolean };

export interface DeletionRecord {
  cohortId: string;
  version: number;
  change: 'delete';
  author: string;
  rationale: string;
  /** The file removed from the folder; null when the cohort had only recorded versions. */
  fileRemoved: string | null;
}

export interface CatalogService {
  apply(id: string, change: { yaml: string; author: string; rationale: string }): Promise<AppliedVersion>;
  deprecate(id: string, change: { author: string; reason?: string }): Promise<AppliedVersion>;
  remove(id: string, change: { author: string; reason?: string }): Promise<DeletionRecord>;
}

const referrersOf = (entries: CatalogEntry[], id: string, status?: 'active'): Referrer[] =>
  entries
    .filter(
      (e) =>
        e.definition.id !== id &&
        (!status || e.definition.status === status) &&
        referencedCohorts(e.definition.rule).includes(id),
    )
    .map((e) => ({ id: e.definition.id, status: e.definition.status, file: e.file }));

export function createCatalogService({ db, catalogDir }: { db: Db; catalogDir: string }): CatalogService {
  // One change to the folder at a time in this process: validate, write and record stay in step.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  /**
   * Records the file as it is before deprecating or deleting it, when that content was never
   * recorded (added or edited by hand): the history then shows what was deprecated or deleted.
   */
  const recordAsFound = (entry: CatalogEntry, author: string, action: string) =>
    recordDefinition(db, entry, {
      author,
      rationale: `the file as found in the catalog folder, recorded by ${author} before ${action} it`,
    });

  /** Validates the folder with `text` in `name`; writes it and records the version only if every check passes. */
  const write = async (
    files: FolderFile[],
    name: string,
    text: string,
    by: { author: string; rationale: string },
    extra: string[] = [],
    before?: () => Promise<unknown>,
  ): Promise<AppliedVersion> => {
    const check = checkCatalog(withFile(files, name, text), await knownEventTypes(db));
    const problems = [...extra, ...check.problems];
    if (problems.length > 0) throw new InvalidDefinitionError(problems);
    await before?.();
    const entry = check.entries.find((e) => e.file === name)!;
    const file = path.join(catalogDir, name);
    await writeAtomically(file, text);
    let recorded: { version: number; created: boolean };
    try {
      recorded = await recordDefinition(db, entry, by);
    } catch (err) {
      await restore(file, files.find((f) => f.name === name)?.text);
      throw err;
    }
    const version = (await definitionVersions(db, entry.definition.id)).find((v) => v.version === recorded.version)!;
    return { ...summaryOf(version), file: name, created: recorded.created };
  };

  return {
    apply: (id, { yaml, author, rationale }) =>
      exclusive(async () => {
        const files = await readFolder(catalogDir);
        const name = fileOf(files, id);
        const declared = declaredId(yaml);
        const mismatch =
          declared !== undefined && declared !== id
            ? [
                `${name}: id: "${declared}" does not match the cohort in the URL (${id}); PUT /cohorts/${declared} to change that cohort`,
              ]
            : [];
        return write(files, name, yaml, { author, rationale }, mismatch);
      }),

    deprecate: (id, { author, reason }) =>
      exclusive(async () => {
        const { files, entries, entry } = await cohortIn(catalogDir, id);
        const d = entry.definition;
        if (d.status === 'deprecated')
          throw new CatalogRefusal(
            { kind: 'already_deprecated' },
            `${id} is already deprecated (${d.deprecationReason ?? 'no reason given'})`,
          );
        enforceGuardrail(d, 'deprecate', reason);
        const users = referrersOf(entries, id, 'active');
        if (users.length > 0) {
          throw new CatalogRefusal(
            { kind: 'referenced', referrers: users },
            `${id} is used by active cohorts through in_cohort: ${users.map((u) => `${u.id} (${u.file})`).join(', ')}; change or deprecate them first`,
          );
        }
        const text = deprecated(files.find((f) => f.name === entry.file)!.text, reason);
        return write(
          files,
          entry.file,
          text,
          { author, rationale: reason ?? 'deprecated without a reason (tactical cohort)' },
          [],
          () => recordAsFound(entry, author, 'deprecating'),
        );
      }),

    remove: (id, { author, reason }) =>
      exclusive(async () => {
        const { files, entries } = await readCatalog(catalogDir);
        const entry = entries.find((e) => e.definition.id === id);
        const latest = (await latestVersions(db, id)).get(id);
        if (!entry && (!latest || latest.change === 'delete')) throw cohortNotFound(id, catalogDir);
        // Every referrer, deprecated ones too: a dangling in_cohort makes the whole catalog invalid.
        const users = referrersOf(entries, id);
        if (users.length > 0) {
          throw new CatalogRefusal(
            { kind: 'referenced', referrers: users },
            `${id} is used through in_cohort by ${users.map((u) => `${u.id} (${u.status}, ${u.file})`).join(', ')}; change them first`,
          );
        }
        const tier = entry?.definition.tier ?? (await definitionVersions(db, id)).at(-1)!.tier;
        // Checked before anything is recorded: recordAsFound below would otherwise write a version.
        enforceGuardrail({ id, tier }, 'delete', reason);
        if (entry) await recordAsFound(entry, author, 'deleting');
        const version = await recordDeletion(db, id, { author, reason });
        const name = files.some((f) => declaredId(f.text) === id) ? fileOf(files, id) : undefined;
        if (name) {
          await fs.rm(path.join(catalogDir, name)).catch((err: Error) => {
            throw new CatalogRefusal(
              { kind: 'file_not_removed', version },
              `deletion of ${id} recorded as version ${version}, but ${name} could not be removed (${err.message}); remove it by hand, or the next refresh records it again as a new cohort`,
            );
          });
        }
        return {
          cohortId: id,
          version,
          change: 'delete',
          author,
          rationale: reason?.trim() || 'no reason given',
          fileRemoved: name ?? null,
        };
      }),
  };
}
