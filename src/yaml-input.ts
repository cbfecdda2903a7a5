import { type z } from 'zod';
import { lineOf, readYamlDocument } from './yaml-document';

// One way to read a YAML input file against its zod schema, so every such file (calendars,
// experiments, schedules) reports problems alike: `file:line: path: message (got value)`.

export class InvalidInputError extends Error {
  constructor(
    readonly what: string,
    readonly problems: string[],
  ) {
    super(`invalid ${what}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'InvalidInputError';
  }
}

export interface ParsedInput<T> {
  value: T;
  /** `file:line: path` of a place in the document, for problems found after the schema. */
  where: (at: PropertyKey[]) => string;
}

function valueAt(root: unknown, at: PropertyKey[]): unknown {
  return at.reduce<unknown>(
    (node, key) => (node && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    root,
  );
}

/** Parses `text` as YAML and validates it; throws InvalidInputError listing every problem. */
export function parseYamlInput<S extends z.ZodType>(
  schema: S,
  text: string,
  file: string,
  what: string,
): ParsedInput<z.infer<S>> {
  const read = readYamlDocument(text, file);
  if (read.problems) throw new InvalidInputError(what, read.problems);
  const { doc, raw } = read;
  const where = (at: PropertyKey[]) => {
    const line = lineOf(doc, text, at);
    return `${file}${line ? `:${line}` : ''}: ${at.map(String).join('.') || '(document)'}`;
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new InvalidInputError(
      what,
      parsed.error.issues.map((issue) => {
        const value = valueAt(raw, issue.path);
        // Quoted unless the message already names it.
        const got =
          value !== undefined && (typeof value !== 'object' || value === null) && !issue.message.includes(String(value))
            ? ` (got ${JSON.stringify(value)})`
            : '';
        return `${where(issue.path)}: ${issue.message}${got}`;
      }),
    );
  return { value: parsed.data, where };
}
