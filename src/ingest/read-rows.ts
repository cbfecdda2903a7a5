import { FileFault, readLines, type BadLine } from './read-lines';

/**
 * One row of a source: a record (NDJSON, query sources), a CSV record as its fields under the
 * file's columns (no object per row: product files hold millions), or why it cannot be read.
 */
export type RawRow =
  | { line: number; raw: string; record: Record<string, unknown> }
  | { line: number; raw: string; fields: string[]; columns: readonly string[] }
  | {
      line: number;
      raw: string;
      error: string;
      /** The row's full length in bytes, when `raw` is cut or escaped. */
      rawLength?: number;
      /** The exact bytes, when `raw` had to escape some (not UTF-8 text). */
      rawBytes?: Buffer;
    };

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

/**
 * Streams a file's rows (gzip or not) with their line numbers, a batch per chunk read; never
 * holds more than a chunk and one record of the file in memory. Rows at or before line `after`
 * are skipped: a resumed load starts past them. A line that is not UTF-8 text or too long to be
 * a row is a bad row (read-lines.ts); a file that cannot be read on throws a FileFault after the
 * rows before the fault.
 *
 * The CSV reader is written here rather than taken from csv-parse: the ingest needs each
 * record's first line and raw text for the quarantine, and csv-parse with those options
 * measured 13 µs a row against 1 µs here — most of the ingest's budget.
 */
export async function* readRowBatches(file: string, after = 0): AsyncGenerator<RawRow[]> {
  const csv = /\.csv(\.gz)?$/i.test(file);
  const read = { bytesRead: 0 };
  const reader = csv ? new CsvRecords(read) : undefined;
  let line = 0;
  for await (const lines of readLines(file, read)) {
    const batch: RawRow[] = [];
    for (const l of lines) {
      line += 1;
      if (typeof l !== 'string') {
        if (reader) reader.bad(l, line, after, batch);
        else if (line > after) batch.push({ line, raw: l.raw, error: l.reason, ...badBytes(l) });
      } else if (reader) reader.push(l, line, after, batch);
      else if (line > after) ndjsonRow(l, line, batch);
    }
    if (batch.length > 0) yield batch;
  }
  const batch: RawRow[] = [];
  reader?.finish(batch);
  if (batch.length > 0) yield batch;
}

const badBytes = (l: BadLine) => ({ rawLength: l.rawLength, ...(l.rawBytes ? { rawBytes: l.rawBytes } : {}) });

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

  constructor(private readonly read: { bytesRead: number }) {}

  /** A line that is no text: the record it belongs to (the pending one, if any) is bad. */
  bad(l: BadLine, line: number, after: number, batch: RawRow[]): void {
    if (!this.columns)
      throw new FileFault(
        `the CSV header (line ${this.pending?.line ?? line}) is unreadable: ${l.reason}`,
        this.read.bytesRead,
      );
    const start = this.pending ?? { text: '', line };
    this.pending = undefined;
    if (start.line <= after) return;
    const joined = start.text === '' ? l.raw : `${start.text}\n${l.raw}`;
    batch.push({
      line: start.line,
      raw: joined,
      error: start.text === '' ? l.reason : `line ${line} of the record: ${l.reason}`,
      rawLength: (start.text === '' ? 0 : Buffer.byteLength(start.text) + 1) + l.rawLength,
      ...(l.rawBytes
        ? { rawBytes: Buffer.concat([Buffer.from(start.text === '' ? '' : `${start.text}\n`), l.rawBytes]) }
        : {}),
    });
  }

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
      if (typeof fields === 'string')
        throw new FileFault(`the CSV header (line ${recordLine}) is unreadable: ${fields}`, this.read.bytesRead);
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
