import type { Db, Queryable } from '../data/db';
import { CatalogRefusal, InvalidDefinitionError } from './catalog';
import {
  checkCatalog,
  declaredId,
  fileOf,
  readFolder,
  withCandidates,
  withFile,
  type FolderFile,
} from './catalog-folder';
import type { CohortDefinition } from './definition';
import { knownEventTypes } from './run-compute';
import { definitionVersions, type DefinitionVersion } from './versions';

// Reading the catalog as people see it: the folder's definitions next to their recorded
// versions. Nothing here writes.

export type VersionSummary = Omit<DefinitionVersion, 'definition'>;

export interface LatestVersion {
  version: number;
  change: DefinitionVersion['change'];
  contentHash: string;
  createdAt: string;
}

export interface CohortListing {
  catalogDir: string;
  cohorts: Array<
    Pick<CohortDefinition, 'id' | 'name' | 'tier' | 'status' | 'owner'> & {
      file: string;
      latestVersion: LatestVersion | null;
      /** False when the file differs from the latest recorded version (edited by hand, or never recorded). */
      recorded: boolean;
    }
  >;
  problems: string[];
}

export interface CohortDetail {
  id: string;
  file: string;
  contentHash: string;
  definition: CohortDefinition;
  latestVersion: LatestVersion | null;
  recorded: boolean;
}

export interface ValidationAnswer {
  valid: boolean;
  cohorts: number;
  /** The file name the candidate was checked as. */
  candidate?: string;
  /** The files sent, by the names problems give them. */
  candidates?: string[];
  problems: string[];
}

export async function latestVersions(db: Queryable, id?: string): Promise<Map<string, LatestVersion>> {
  const r = await db.query<{
    cohort_id: string;
    version: number;
    change: LatestVersion['change'];
    content_hash: string;
    created_at: Date;
  }>(
    `SELECT DISTINCT ON (cohort_id) cohort_id, version, change, content_hash, created_at FROM cohort_definitions
     WHERE $1::text IS NULL OR cohort_id = $1 ORDER BY cohort_id, version DESC`,
    [id ?? null],
  );
  return new Map(
    r.rows.map((x) => [
      x.cohort_id,
      { version: x.version, change: x.change, contentHash: x.content_hash, createdAt: x.created_at.toISOString() },
    ]),
  );
}

export const summaryOf = ({ definition: _definition, ...version }: DefinitionVersion): VersionSummary => version;

export const cohortNotFound = (id: string, dir: string) =>
  new CatalogRefusal({ kind: 'not_found' }, `no cohort "${id}" in the catalog folder ${dir}`);

/** The folder's files, checked as a whole. */
export async function readCatalog(catalogDir: string) {
  const files = await readFolder(catalogDir);
  return { files, ...checkCatalog(files) };
}

/** The cohort's entry in the folder; a file declaring the id but not parsing is named with its problems. */
export async function cohortIn(catalogDir: string, id: string) {
  const f = await readCatalog(catalogDir);
  const entry = f.entries.find((e) => e.definition.id === id);
  if (!entry) {
    const broken = f.files.find((x) => declaredId(x.text) === id);
    if (broken) {
      const problems = f.problems.filter((p) => p.startsWith(broken.name));
      throw new InvalidDefinitionError(problems, `${broken.name} does not parse:\n  ${problems.join('\n  ')}`);
    }
    throw cohortNotFound(id, catalogDir);
  }
  return { ...f, entry };
}

export async function listCohorts(db: Queryable, catalogDir: string): Promise<CohortListing> {
  const files = await readFolder(catalogDir);
  const { entries, problems } = checkCatalog(files, await knownEventTypes(db));
  const recorded = await latestVersions(db);
  const cohorts = entries.map(({ definition: d, file, contentHash }) => {
    const latest = recorded.get(d.id);
    return {
      id: d.id,
      name: d.name,
      tier: d.tier,
      status: d.status,
      owner: d.owner,
      file,
      latestVersion: latest ?? null,
      recorded: latest?.contentHash === contentHash,
    };
  });
  return { catalogDir, cohorts, problems };
}

export async function showCohort(db: Queryable, catalogDir: string, id: string): Promise<CohortDetail> {
  const { entry } = await cohortIn(catalogDir, id);
  const latest = (await latestVersions(db, id)).get(id) ?? null;
  return {
    id,
    file: entry.file,
    contentHash: entry.contentHash,
    definition: entry.definition,
    latestVersion: latest,
    recorded: latest?.contentHash === entry.contentHash,
  };
}

/** Every recorded version; a cohort only in the folder has none yet, one in neither is unknown. */
export async function cohortVersions(db: Db, catalogDir: string, id: string): Promise<VersionSummary[]> {
  const versions = await definitionVersions(db, id);
  if (versions.length === 0 && !(await readCatalog(catalogDir)).entries.some((e) => e.definition.id === id))
    throw cohortNotFound(id, catalogDir);
  return versions.map(summaryOf);
}

export async function cohortVersion(db: Db, id: string, n: number): Promise<DefinitionVersion> {
  const version = (await definitionVersions(db, id)).find((v) => v.version === n);
  if (!version) throw new CatalogRefusal({ kind: 'not_found' }, `cohort "${id}" has no recorded version ${n}`);
  return version;
}

/**
 * Checks the folder, with the candidate added or replacing its cohort's file, and with `sent`
 * files added or replacing theirs under their own names; writes nothing.
 */
export async function validateCatalog(
  db: Queryable,
  catalogDir: string,
  yaml?: string,
  sent: FolderFile[] = [],
): Promise<ValidationAnswer> {
  let files = await readFolder(catalogDir);
  let candidate: string | undefined;
  if (yaml !== undefined) {
    const id = declaredId(yaml);
    candidate = id ? fileOf(files, id) : '(candidate).yaml';
    files = withFile(files, candidate, yaml);
  }
  if (sent.length) files = withCandidates(files, sent);
  const { entries, problems } = checkCatalog(files, await knownEventTypes(db));
  return {
    valid: problems.length === 0,
    cohorts: entries.length,
    ...(candidate ? { candidate } : {}),
    ...(sent.length ? { candidates: sent.map((f) => f.name) } : {}),
    problems,
  };
}
