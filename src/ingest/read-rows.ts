import fs from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import zlib from 'node:zlib';

/**
 * One row of a source: a record (NDJSON, query sources), a CSV record as its fields under the
 * file's columns (no object per row: product files hold millions), or why it cannot be read.
 */
export type RawRow =
  | { line: number; raw: string; record: Record<string, unknown> }
  | { line: number; raw: string; fields: string[]; columns: readonly string[] }
  | { line: number; raw: string; error: string };

/** A row as `readRows` gives it: a record, or why it cannot be read. */
export type RecordRow = Exclude<RawRow, { fields: string[] }>;

/** A readable row as a record of its fields by name. */
export function recordOf(row: Exclude<RawRow, { error: string }>): Record<string, unknown> {
  if ('record' in row) return row.record;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < row.columns.length; i += 1) out[row.columns[i]!] = row.fields[i];
  return out;
}

/** A quoted CSV field may span lines, but not without end: past this the record is quarantined. */
const MAX_RECORD_CHARS = 1 << 20;

function open(file: string): Readable {
  const stream = fs.createReadStream(file, { highWaterMark: 4 << 20 });
  return /\.gz$/i.test(file) ? stream.pipe(zlib.createGunzip({ chunkSize: 4 << 20 })) : stream;
}

/**
 * Streams a file's rows (gzip or not) with their line numbers, a batch per chunk read; never
 * holds more than a chunk and one record of the file in memory. Rows at or before line `after`
 * are skipped: a resumed load starts past them.
 *
 * The CSV reader is written here rather than taken from csv-parse: the ingest needs each
 * record's first line and raw text for the quarantine, and csv-parse with those options
 * measured 13 µs a row against 1 µs here — most of the ingest's budget.
 */
export async function* readRowBatches(file: string, after = 0): AsyncGenerator<RawRow[]> {
  const csv = /\.csv(\.gz)?$/i.test(file);
  const reader = csv ? new CsvRecords() : undefined;
  const decoder = new StringDecoder('utf8');
  let tail = '';
  let line = 0;
  for await (const chunk of open(file)) {
    const text = tail + decoder.write(chunk as Buffer);
    const end = text.lastIndexOf('\n');
    if (end < 0) {
      tail = text;
      continue;
    }
    tail = text.slice(end + 1);
    const lines = text.slice(0, end).split('\n');
    const batch: RawRow[] = [];
    for (const l of lines) {
      line += 1;
      if (reader) reader.push(l, line, after, batch);
      else if (line > after) ndjsonRow(l, line, batch);
    }
    if (batch.length > 0) yield batch;
  }
  const last = tail + decoder.end();
  const batch: RawRow[] = [];
  if (last !== '') {
    line += 1;
    if (reader) reader.push(last, line, after, batch);
    else if (line > after) ndjsonRow(last, line, batch);
  }
  reader?.finish(batch);
  if (batch.length > 0) yield batch;
}

/** The same, a row at a time, each readable row as a record. */
export async function* readRows(file: string, after = 0): AsyncGenerator<RecordRow> {
  for await (const batch of readRowBatches(file, after))
    for (const row of batch) yield 'fields' in row ? { line: row.line, raw: row.raw, record: recordOf(row) } : row;
}

function ndjsonRow(text: string, line: number, batch: RawRow[]): void {
  const raw = text.endsWith('\r') ? text.slice(0, -1) : text;
  if (raw.trim() === '') return;
  let record: unknown;
  try {
    record = JSON.parse(raw);
  } catch (err) {
    batch.push({ line, raw, error: `not valid JSON: ${(err as Error).message}` });
    return;
  }
  if (!record || typeof record !== 'object' || Array.isArray(record))
    batch.push({ line, raw, error: 'not a JSON object' });
  else batch.push({ line, raw, record: record as Record<string, unknown> });
}

/**
 * RFC 4180 records fed a line at a time: the first record names the columns; a quoted field
 * may hold commas, doubled quotes and line breaks; a record is reported at its first line.
 */
class CsvRecords {
  private columns: string[] | undefined;
  private pending: { text: string; line: number } | undefined;

  push(text: string, line: number, after: number, batch: RawRow[]): void {
    const l = text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text;
    const record = this.pending ? { text: `${this.pending.text}\n${l}`, line: this.pending.line } : undefined;
    this.pending = undefined;
    const recordText = record ? record.text : l;
    const recordLine = record ? record.line : line;
    const fields = csvFields(recordText);
    if (fields === 'open') {
      if (recordText.length < MAX_RECORD_CHARS) {
        this.pending = { text: recordText, line: recordLine };
        return;
      }
      if (recordLine > after)
        batch.push({ line: recordLine, raw: recordText, error: 'a quoted field is never closed' });
      return;
    }
    if (recordText === '') return;
    if (!this.columns) {
      if (typeof fields === 'string') throw new Error(`line ${recordLine}: the CSV header is unreadable: ${fields}`);
      this.columns = fields.map((c, i) => (i === 0 ? c.replace(/^\uFEFF/, '') : c).trim());
      return;
    }
    if (recordLine <= after) return;
    if (typeof fields === 'string') batch.push({ line: recordLine, raw: recordText, error: fields });
    else if (fields.length !== this.columns.length)
      batch.push({
        line: recordLine,
        raw: recordText,
        error: `wrong number of columns (expected ${this.columns.length}, got ${fields.length})`,
      });
    else batch.push({ line: recordLine, raw: recordText, fields, columns: this.columns });
  }

  /** End of file inside a quoted field: that record is bad, not lost. */
  finish(batch: RawRow[]): void {
    if (this.pending)
      batch.push({ line: this.pending.line, raw: this.pending.text, error: 'a quoted field is never closed' });
    this.pending = undefined;
  }
}

/** A record's fields; 'open' when a quoted field runs past the text; a reason when malformed. */
export function csvFields(text: string): string[] | 'open' | string {
  if (text.indexOf('"') < 0) return text.split(',');
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q < 0) return 'open';
        if (text.charCodeAt(q + 1) === 34) {
          value += text.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        value += text.slice(from, q);
        i = q + 1;
        break;
      }
      out.push(value);
      if (i === text.length) return out;
      if (text.charCodeAt(i) !== 44) return `text after a closing quote in field ${out.length}`;
      i += 1;
    } else {
      const comma = text.indexOf(',', i);
      if (comma < 0) {
        out.push(text.slice(i));
        return out;
      }
      out.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}
