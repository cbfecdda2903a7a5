import fs from 'node:fs';
import readline from 'node:readline';
import { parse } from 'csv-parse';

export type RawRow =
  | { line: number; raw: string; record: Record<string, unknown> }
  | { line: number; raw: string; error: string };

/** Streams a file's rows with their line numbers; never reads the whole file into memory. */
export async function* readRows(file: string): AsyncGenerator<RawRow> {
  if (/\.csv$/i.test(file)) {
    yield* readCsv(file);
  } else {
    yield* readNdjson(file);
  }
}

async function* readNdjson(file: string): AsyncGenerator<RawRow> {
  const lines = readline.createInterface({ input: fs.createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line += 1;
    if (raw.trim() === '') continue;
    try {
      const record = JSON.parse(raw) as unknown;
      if (!record || typeof record !== 'object' || Array.isArray(record)) {
        yield { line, raw, error: 'not a JSON object' };
      } else {
        yield { line, raw, record: record as Record<string, unknown> };
      }
    } catch (err) {
      yield { line, raw, error: `not valid JSON: ${(err as Error).message}` };
    }
  }
}

async function* readCsv(file: string): AsyncGenerator<RawRow> {
  const parser = fs.createReadStream(file).pipe(
    parse({ columns: true, skip_empty_lines: true, trim: true, info: true, raw: true, relax_column_count: true }),
  );
  // csv-parse counts bad rows cumulatively: a row is bad when the count goes up.
  let badSoFar = 0;
  for await (const row of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; invalid_field_length: number }; raw: string }>) {
    const raw = row.raw.replace(/\r?\n$/, '');
    if (row.info.invalid_field_length > badSoFar) {
      badSoFar = row.info.invalid_field_length;
      yield { line: row.info.lines, raw, error: 'wrong number of columns' };
      continue;
    }
    const record: Record<string, unknown> = { ...row.record };
    if (typeof record.properties === 'string' && record.properties !== '') {
      try {
        record.properties = JSON.parse(record.properties);
      } catch {
        yield { line: row.info.lines, raw, error: 'properties: not valid JSON' };
        continue;
      }
    }
    yield { line: row.info.lines, raw, record };
  }
}
