import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { canonicalJson } from './canonical';
import { catalogProblems } from './catalog-rules';
import { CohortDefinition } from './definition';

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

/** Parses one YAML document; every problem names the file, the path in the document and the value. */
export function parseDefinition(file: string, text: string): { entry?: CatalogEntry; problems: string[] } {
  const doc = YAML.parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    return { problems: doc.errors.map((e) => `${file}: ${e.message.split('\n')[0]}`) };
  }
  const raw = doc.toJS() as unknown;
  const parsed = CohortDefinition.safeParse(raw);
  if (!parsed.success) {
    return {
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
  const where = (at: (string | number)[]) => {
    const line = lineOf(doc, text, at);
    return `${file}${line ? `:${line}` : ''}: ${at.join('.')}`;
  };
  return { entry: { definition, file, contentHash, where }, problems: [] };
}

function valueAt(root: unknown, at: PropertyKey[]): unknown {
  return at.reduce<unknown>(
    (node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    root,
  );
}

export function lineOf(doc: YAML.Document, text: string, issuePath: PropertyKey[]): number | undefined {
  for (let depth = issuePath.length; depth > 0; depth -= 1) {
    const node = doc.getIn(issuePath.slice(0, depth) as (string | number)[], true) as YAML.Node | undefined;
    if (node?.range) return text.slice(0, node.range[0]).split('\n').length;
  }
  return undefined;
}

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
  const problems: string[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    const result = parseDefinition(file, await fs.readFile(file, 'utf8'));
    problems.push(...result.problems);
    if (result.entry) entries.push(result.entry);
  }
  problems.push(...catalogProblems(entries, vocabulary));
  if (problems.length > 0) throw new InvalidDefinitionError(problems);
  return entries;
}
