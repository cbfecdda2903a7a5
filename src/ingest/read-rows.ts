import fs from 'node:fs';
import readline from 'node:readline';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { parse } from 'csv-parse';

export type RawRow =
  | { line: number; raw: string; record: Record<string, unknown> }
  | { line: number; raw: string; error: string };

function open(file: string): Readable {
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  return /\.gz$/i.test(file) ? stream.pipe(zlib.createGunzip()) : stream;
}

/**
 * Streams a file's rows (gzip or not) with their line numbers; never reads the whole file
 * into memory. Rows at or before line `after` are skipped: a resumed load starts past them.
 */
export async function* readRows(file: string, after = 0): AsyncGenerator<RawRow> {
  if (/\.csv(\.gz)?$/i.test(file)) {
    yield* readCsv(file, after);
  } else {
    yield* readNdjson(file, after);
  }
}

async function* readNdjson(file: string, after: number): AsyncGenerator<RawRow> {
  const lines = readline.createInterface({ input: open(file), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line += 1;
    if (line <= after || raw.trim() === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch (err) {
      yield { line, raw, error: `not valid JSON: ${(err as Error).message}` };
      continue;
    }
    if (!record || typeof record !== 'object' || Array.isArray(record)) yield { line, raw, error: 'not a JSON object' };
    else yield { line, raw, record: record as Record<string, unknown> };
  }
}

async function* readCsv(file: string, after: number): AsyncGenerator<RawRow> {
  const parser = open(file).pipe(parse({ columns: true, skip_empty_lines: true, info: true, raw: true, relax_column_count: true, relax_quotes: true }));
  // csv-parse counts bad rows cumulatively: a row is bad when the count goes up.
  let badSoFar = 0;
  for await (const row of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number; invalid_field_length: number }; raw: string }>) {
    const line = row.info.lines;
    const bad = row.info.invalid_field_length > badSoFar;
    badSoFar = row.info.invalid_field_length;
    if (line <= after) continue;
    const raw = row.raw.replace(/\r?\n$/, '');
    if (bad) yield { line, raw, error: 'wrong number of columns' };
    else yield { line, raw, record: row.record };
  }
}
