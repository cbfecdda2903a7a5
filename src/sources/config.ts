import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { KIND_FIELDS, SOURCE_KINDS, type SourceKindName } from './kinds';

const TimeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'an IANA time zone such as UTC or Europe/Berlin');

export const QualityThresholds = z
  .object({
    freshnessWarnHours: z.number().positive().default(48),
    freshnessFailHours: z
      .number()
      .positive()
      .default(24 * 7),
    volumeWarnPct: z.number().positive().default(50),
    volumeFailPct: z.number().positive().default(90),
    quarantineWarnPct: z.number().nonnegative().default(1),
    quarantineFailPct: z.number().nonnegative().default(5),
    nullWarnPct: z.number().nonnegative().default(5),
    nullFailPct: z.number().nonnegative().default(20),
    /** How many earlier ingests of the source the volume check takes the median of. */
    trailingRuns: z.number().int().positive().default(6),
  })
  .strict();
export type QualityThresholds = z.infer<typeof QualityThresholds>;

/** Rows already in a database: a query that returns the kind's fields, read past a cursor. */
export const QuerySource = z
  .object({
    /** Environment variable holding the connection string (a secret: never in the file). */
    urlEnv: z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'an environment variable name such as CRM_DATABASE_URL'),
    /** Must filter on $1, the cursor: e.g. WHERE updated_at > $1::timestamptz ORDER BY updated_at. */
    sql: z
      .string()
      .min(1)
      .refine((q) => /\$1\b/.test(q), 'the query must use $1 (the last cursor value) to read only new rows'),
    /** The column whose greatest value read becomes the next cursor. */
    cursorColumn: z.string().regex(/^[a-z_][a-z0-9_]*$/, 'a column name'),
    /** The cursor before the first read. */
    initialCursor: z.string().default('-infinity'),
  })
  .strict();
export type QuerySource = z.infer<typeof QuerySource>;

export const SourceConfig = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'a source name: lower-case letters, digits, _ and -'),
    kind: z.enum(Object.keys(SOURCE_KINDS) as [SourceKindName, ...SourceKindName[]]),
    /** File names in the source folder, with * as a wildcard; default "<kind>-*". */
    files: z.string().min(1).optional(),
    /** For timestamps written without a zone. */
    timezone: TimeZone.default('UTC'),
    /** Read from a database instead of files. */
    query: QuerySource.optional(),
    /** Id and field mapping: the kind's field → the column the source calls it, e.g. user_id: distinct_id. */
    fields: z.record(z.string(), z.string().min(1)).optional(),
    checks: QualityThresholds.default(QualityThresholds.parse({})),
    /**
     * A file that cannot be read on (not text, truncated or corrupt gzip, unreadable) is quarantined
     * as a file; then `warn` goes on with a warning naming it, `fail` stops the run naming it.
     */
    badFiles: z.enum(['warn', 'fail']).default('warn'),
  })
  .strict()
  .superRefine((source, ctx) => {
    for (const field of Object.keys(source.fields ?? {})) {
      if (!KIND_FIELDS[source.kind].includes(field)) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', field],
          message: `${source.kind} has no field "${field}"; its fields are ${KIND_FIELDS[source.kind].join(', ')}`,
        });
      }
    }
  });
export type SourceConfig = z.infer<typeof SourceConfig>;

const SourcesFile = z.object({ sources: z.array(SourceConfig).min(1) }).strict();

export const DEFAULT_SOURCES: SourceConfig[] = (Object.keys(SOURCE_KINDS) as SourceKindName[]).map((kind) =>
  SourceConfig.parse({ name: kind, kind }),
);

/** sources.yaml says something no retry can fix: the run stops at once with every problem. */
export class InvalidSourceConfigError extends Error {
  constructor(problems: string[]) {
    super(`invalid source configuration:\n${problems.join('\n')}`);
    this.name = 'InvalidSourceConfigError';
  }
}

/** `sources.yaml` in the source folder, or one source per kind with the default file names. */
export function loadSources(sourceDir: string): SourceConfig[] {
  const file = path.join(sourceDir, 'sources.yaml');
  if (!fs.existsSync(file)) return DEFAULT_SOURCES;
  const parsed = SourcesFile.safeParse(YAML.parse(fs.readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new InvalidSourceConfigError(parsed.error.issues.map((i) => `  ${file}: ${i.path.join('.')}: ${i.message}`));
  }
  const names = parsed.data.sources.map((s) => s.name);
  const twice = names.filter((n, i) => names.indexOf(n) !== i);
  if (twice.length) throw new InvalidSourceConfigError([`  ${file}: sources: the name "${twice[0]}" is used twice`]);
  return parsed.data.sources;
}

const DATA_FILE = /\.(ndjson|jsonl|csv)(\.gz)?$/i;

/** The files of the folder that belong to the source, in name order. */
export function filesOf(source: SourceConfig, names: string[]): string[] {
  if (source.query) return [];
  const pattern = source.files ?? `${source.kind}-*`;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    'i',
  );
  return names.filter((n) => DATA_FILE.test(n) && re.test(n)).sort();
}
