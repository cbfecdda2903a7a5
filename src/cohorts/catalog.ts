import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { CohortDefinition } from './definition';

export class InvalidDefinitionError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid cohort definitions:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'InvalidDefinitionError';
  }
}

export interface CatalogEntry {
  definition: CohortDefinition;
  file: string;
  /** Hash of the normalised definition: a new hash is a new version. */
  contentHash: string;
}

/** Stable JSON: keys sorted, so a re-ordered file is the same version. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
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
        const got = value !== undefined && (typeof value !== 'object' || value === null) ? ` (got ${JSON.stringify(value)})` : '';
        return `${file}${line ? `:${line}` : ''}: ${at}: ${issue.message}${got}`;
      }),
    };
  }
  const definition = parsed.data;
  const contentHash = crypto.createHash('sha256').update(canonicalJson(definition)).digest('hex');
  return { entry: { definition, file, contentHash }, problems: [] };
}

function valueAt(root: unknown, at: PropertyKey[]): unknown {
  return at.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined), root);
}

function lineOf(doc: YAML.Document, text: string, issuePath: PropertyKey[]): number | undefined {
  for (let depth = issuePath.length; depth > 0; depth -= 1) {
    const node = doc.getIn(issuePath.slice(0, depth) as (string | number)[], true) as YAML.Node | undefined;
    if (node?.range) return text.slice(0, node.range[0]).split('\n').length;
  }
  return undefined;
}

/** Loads every *.yaml / *.yml in the folder; any problem in any file rejects the whole catalog. */
export async function loadCatalog(dir: string): Promise<CatalogEntry[]> {
  const files = (await fs.readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  const entries: CatalogEntry[] = [];
  const problems: string[] = [];
  for (const name of files) {
    const file = path.join(dir, name);
    const result = parseDefinition(file, await fs.readFile(file, 'utf8'));
    problems.push(...result.problems);
    if (result.entry) entries.push(result.entry);
  }
  const seen = new Map<string, string>();
  for (const e of entries) {
    const other = seen.get(e.definition.id);
    if (other) problems.push(`${e.file}: id: "${e.definition.id}" is already defined in ${other}`);
    seen.set(e.definition.id, e.file);
  }
  if (problems.length > 0) throw new InvalidDefinitionError(problems);
  return entries;
}
