import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { parseDefinition, type CatalogEntry, type PartialEntry } from './catalog';
import { catalogProblems } from './catalog-rules';
import { DEFINITION_LIMITS } from './limits';
import { readYamlDocument } from '../yaml-document';

// The catalog folder as the API changes it: candidates checked in memory before any write,
// atomic writes, and YAML edits that keep every byte the analyst wrote except the one value.

export interface FolderFile {
  /** The file's name inside the catalog folder: what problems and answers show. */
  name: string;
  text: string;
}

export const readFolder = async (dir: string): Promise<FolderFile[]> => {
  const names = (await fs.readdir(dir)).filter((f) => /\.ya?ml$/.test(f)).sort();
  return Promise.all(names.map(async (name) => ({ name, text: await fs.readFile(path.join(dir, name), 'utf8') })));
};

export const withFile = (files: FolderFile[], name: string, text: string): FolderFile[] =>
  [...files.filter((f) => f.name !== name), { name, text }].sort((a, b) => (a.name < b.name ? -1 : 1));

/**
 * The folder with candidate files: each replaces the folder's file declaring the same cohort id
 * (or is added), under its own name, so problems name the file the person edited.
 */
export function withCandidates(files: FolderFile[], candidates: FolderFile[]): FolderFile[] {
  const ids = new Set(candidates.map((c) => declaredId(c.text)).filter((id): id is string => id !== undefined));
  const names = new Set(candidates.map((c) => c.name));
  const kept = files.filter((f) => !names.has(f.name) && !ids.has(declaredId(f.text) ?? ''));
  return [...kept, ...candidates].sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** The catalog as loadCatalog checks it, over texts in memory (so a candidate is checked before it is written). */
export function checkCatalog(
  files: FolderFile[],
  eventTypes?: ReadonlySet<string>,
): { entries: CatalogEntry[]; problems: string[] } {
  const entries: CatalogEntry[] = [];
  const partials: PartialEntry[] = [];
  const problems: string[] = [];
  for (const f of files) {
    const parsed = parseDefinition(f.name, f.text);
    problems.push(...parsed.problems);
    if (parsed.entry) entries.push(parsed.entry);
    if (parsed.partial) partials.push(parsed.partial);
  }
  problems.push(...catalogProblems(entries, eventTypes ? { eventTypes } : undefined, partials));
  return { entries, problems };
}

/** The id a text declares, even when the definition is otherwise invalid. */
export function declaredId(text: string): string | undefined {
  const read = readYamlDocument(text, '(candidate)', DEFINITION_LIMITS.yaml);
  const raw = read.problems ? undefined : (read.raw as { id?: unknown } | null);
  return typeof raw?.id === 'string' ? raw.id : undefined;
}

/** The file that holds the cohort: the one declaring its id, else `<id>.yaml`. */
export const fileOf = (files: FolderFile[], id: string) =>
  files.find((f) => declaredId(f.text) === id)?.name ?? `${id}.yaml`;

/** Temp file + rename: a reader (a refresh loading the catalog) sees the old file or the new one, never half. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${crypto.randomBytes(6).toString('hex')}.tmp`);
  const handle = await fs.open(temp, 'w', 0o644);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file).catch(async (err: unknown) => {
    await fs.rm(temp, { force: true });
    throw err;
  });
}

/** Puts the folder back as it was when recording the version failed after the file was written. */
export const restore = (file: string, previous: string | undefined) =>
  previous === undefined ? fs.rm(file, { force: true }) : writeAtomically(file, previous);

/** The definition with status: deprecated (and the reason). */
export function deprecated(text: string, reason: string | undefined): string {
  const marked = setTopLevel(text, 'status', 'deprecated', 'tier');
  return reason ? setTopLevel(marked, 'deprecationReason', reason, 'status') : marked;
}

/**
 * Sets a top-level key by editing only its value's text, or adds `key: value` on the line after
 * `after`: the Document locates the nodes, and every other byte (comments, flow style, spacing)
 * stays as the analyst wrote it. The result is validated like any candidate before it is written.
 */
function setTopLevel(text: string, key: string, value: string, after: string): string {
  const map = YAML.parseDocument(text).contents as YAML.YAMLMap<YAML.Scalar<string>, YAML.Node>;
  const pairOf = (k: string) => map.items.find((p) => YAML.isScalar(p.key) && p.key.value === k);
  const scalar = YAML.stringify(value, { lineWidth: 0 }).trimEnd(); // quoted only when YAML needs it
  const own = pairOf(key)?.value?.range;
  if (own) return `${text.slice(0, own[0])}${scalar}${text.slice(own[1])}`;
  const anchor = pairOf(after);
  const end = anchor?.value?.range?.[1] ?? text.length;
  const newline = text.indexOf('\n', end);
  const at = text[end - 1] === '\n' ? end : newline === -1 ? text.length : newline + 1;
  const start = anchor?.key.range?.[0] ?? 0;
  const indent = ' '.repeat(start - (text.lastIndexOf('\n', start - 1) + 1));
  return `${text.slice(0, at)}${at === text.length && !text.endsWith('\n') ? '\n' : ''}${indent}${key}: ${scalar}\n${text.slice(at)}`;
}
