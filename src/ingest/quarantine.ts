import type { Queryable } from '../data/db';
import { RAW_KEPT_BYTES } from './read-lines';

/** A row bound for the quarantine table, its raw text already cut to what is kept. */
export interface BadRow {
  line: number;
  reason: string;
  /** At most RAW_KEPT_BYTES of UTF-8, whole characters only. */
  raw: string;
  /** The whole row's length in bytes. */
  rawLength: number;
  /** Whether `raw` (or `rawBytes`) holds less than the whole row. */
  cut: boolean;
  /** The exact bytes (cut likewise) of a row that is not UTF-8 text; `raw` then escapes them. */
  rawBytes: Buffer | null;
}

/**
 * Cuts a bad row's raw text to what quarantine keeps, recording its full length: one huge line
 * must not become one huge row (nor hold the chunk's memory until it commits).
 */
export function badRow(
  row: { line: number; raw: string; rawLength?: number; rawBytes?: Buffer },
  reason: string,
): BadRow {
  const small = row.raw.length * 3 <= RAW_KEPT_BYTES;
  const raw = small ? row.raw : cutText(row.raw);
  const rawLength = row.rawLength ?? Buffer.byteLength(row.raw);
  const rawBytes = row.rawBytes ? row.rawBytes.subarray(0, RAW_KEPT_BYTES) : null;
  const kept = rawBytes ? rawBytes.length : small ? rawLength : Buffer.byteLength(raw);
  return { line: row.line, reason, raw, rawLength, cut: kept < rawLength, rawBytes };
}

/** The longest prefix of whole characters within RAW_KEPT_BYTES of UTF-8. */
function cutText(text: string): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= RAW_KEPT_BYTES) return text;
  let end = RAW_KEPT_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end -= 1; // a continuation byte: inside a character
  return bytes.toString('utf8', 0, end);
}

/** Stores a chunk's bad rows, in the chunk's transaction. */
export async function quarantineRows(
  tx: Queryable,
  at: { runId: string; source: string; file: string },
  rows: BadRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await tx.query(
    `INSERT INTO quarantine (run_id, source, file, line, raw, reason, raw_length, raw_truncated, raw_bytes)
     SELECT $1, $2, $3, * FROM unnest($4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::boolean[], $9::bytea[])`,
    [
      at.runId,
      at.source,
      at.file,
      rows.map((b) => b.line),
      rows.map((b) => b.raw),
      rows.map((b) => b.reason),
      rows.map((b) => b.rawLength),
      rows.map((b) => b.cut),
      rows.map((b) => b.rawBytes),
    ],
  );
}
