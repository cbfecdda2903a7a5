import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { lineOf, readYamlDocument } from '../yaml-document';
import { canonicalJson } from './canonical';
import { catalogProblems } from './catalog-rules';
import { CohortDefinition, DataSource, Rule } from './definition';
import { DEFINITION_LIMITS } from './limits';

export { canonicalJson } from './canonical';

export class InvalidDefinitionError extends Error {
  constructor(
    readonly problems: string[],
    message = `invalid cohort definitions:\n${problems.map((p) => `  ${p}`).join('\n')}`,
  ) {
    super(message);
    this.name = 'InvalidDefinitionError';
  }
}

/** A cohort that refers to another one through in_cohort, as a refusal names it. */
export interface Referrer {
  id: string;
  status: 'active' | 'deprecated';
  file: string;
}

export type CatalogRefusalKind =
  | { kind: 'not_found' }
  | { kind: 'referenced'; referrers: Referrer[] }
  | { kind: 'already_deprecated' }
  | { kind: 'file_not_removed'; version: number };

/** A change or a read of the catalog refused with a reason a person can act on. */
export class CatalogRefusal extends Error {
  constructor(
    readonly refusal: CatalogRefusalKind,
    message: string,
  ) {
    super(message);
    this.name = 'CatalogRefusal';
  }
}

export interface CatalogEntry {
  definition: CohortDefinition;
  file: string;
  /** Hash of the normalised definition: a new hash is a new version. */
  contentHash: string;
  /** `file:line` of a path in the document, for problems found after parsing. */
  where(at: (string | number)[]): string;
}

/**
 * The parts of a definition that failed its schema but still parse on their own (id, rule,
 * sources): enough to check its references, event types and sources with the catalog, so a file
 * is told every problem at once rather than its schema problems first and the rest next time.
 */
export interface PartialEntry {
  definition: Pick<CohortDefinition, 'id' | 'rule' | 'status'> & Partial<Pick<CohortDefinition, 'sources'>>;
  file: string;
  where(at: (string | number)[]): string;
}

/** Parses one YAML document; every problem names the file, the path in the document and the value. */
export function parseDefinition(
  file: string,
  text: string,
): { entry?: CatalogEntry; partial?: PartialEntry; problems: string[] } {
  const read = readYamlDocument(text, file, DEFINITION_LIMITS.yaml);
  if (read.problems) return { problems: read.problems };
  const { doc, raw } = read;
  const where = (at: (string | number)[]) => {
    const line = lineOf(doc, text, at);
    return `${file}${line ? `:${line}` : ''}: ${at.join('.')}`;
  };
  const parsed = CohortDefinition.safeParse(raw);
  if (!parsed.success) {
    return {
      partial: partialOf(raw, file, where),
      problems: parsed.error.issues.map((issue) => {
        const at = issue.path.join('.') || '(document)';
        const line = lineOf(doc, text, issue.path);
        const value = valueAt(raw, issue.path);
        const got =
          value !== undefined && (typeof value !== 'object' || value === null) ? ` (got ${JSON.stringify(value)})` : '';
        return `${file}${line ? `:${line}` : ''}: ${at}: ${issue.message}${got}`;
      }),
    };
  }
  const definition = parsed.data;
  const contentHash = crypto.createHash('sha256').update(canonicalJson(definition)).digest('hex');
  return { entry: { definition, file, contentHash, where }, problems: [] };
}

function partialOf(raw: unknown, file: string, where: PartialEntry['where']): PartialEntry | undefined {
  const r = (raw ?? {}) as Record<string, unknown>;
  const id = CohortDefinition.shape.id.safeParse(r.id);
  const rule = Rule.safeParse(r.rule);
  if (!id.success || !rule.success) return undefined;
  const sources = DataSource.array().safeParse(r.sources);
  return {
    definition: {
      id: id.data,
      rule: rule.data,
      status: r.status === 'deprecated' ? 'deprecated' : 'active',
      ...(sources.success ? { sources: sources.data } : {}),
    },
    file,
    where,
  };
}

function valueAt(root: unknown, at: PropertyKey[]): unknown {
  return at.reduce<unknown>(
    (node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    root,
  );
}

export { lineOf };

/**
 * Loads every *.yaml / *.yml in the folder and checks the catalog as a whole (catalog-rules.ts);
 * any problem in any file rejects the whole catalog, so nothing changes.
 */
export async function loadCatalog(
  dir: string,
  vocabulary?: { eventTypes: ReadonlySet<string> },
): Promise<CatalogEntry[]> {
  const files = (await fs.readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const entries: CatalogEntry[] = [];
  const partials: PartialEntry[] = [];
  const problems: string[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    const result = parseDefinition(file, await fs.readFile(file, 'utf8'));
    problems.push(...result.problems);
    if (result.entry) entries.push(result.entry);
    if (result.partial) partials.push(result.partial);
  }
  problems.push(...catalogProblems(entries, vocabulary, partials));
  if (problems.length > 0) throw new InvalidDefinitionError(problems);
  return entries;
}
