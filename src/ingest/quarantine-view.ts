import type { Queryable } from '../data/db';
import type { RunQuarantine } from '../shared';

/**
 * What a run's ingest quarantined: its quarantined files, and its quarantined rows with the
 * length of each, in file order (quarantine_run_idx). Undefined for a run never recorded.
 */
export async function runQuarantine(db: Queryable, runId: string, limit: number): Promise<RunQuarantine | undefined> {
  const known = await db.query('SELECT 1 FROM runs WHERE run_id = $1', [runId]);
  if (!known.rowCount) return undefined;
  const files = await db.query<{
    source: string;
    file: string;
    sha256: string;
    reason: string;
    bytes_read: number;
    rows_read: number;
  }>(
    'SELECT source, file, sha256, reason, bytes_read, rows_read FROM quarantined_files WHERE run_id = $1 ORDER BY source, file',
    [runId],
  );
  const rows = await db.query<{
    source: string;
    file: string;
    line: number;
    reason: string;
    raw: string;
    raw_length: number | null;
    raw_truncated: boolean;
    raw_bytes: Buffer | null;
  }>(
    `SELECT source, file, line, reason, raw, raw_length, raw_truncated, raw_bytes FROM quarantine
      WHERE run_id = $1 ORDER BY source, file, line LIMIT $2`,
    [runId, limit],
  );
  const total = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM quarantine WHERE run_id = $1', [runId]);
  return {
    runId,
    files: files.rows.map((f) => ({
      source: f.source,
      file: f.file,
      sha256: f.sha256,
      reason: f.reason,
      bytesRead: Number(f.bytes_read),
      rowsRead: Number(f.rows_read),
      runId,
      skipped: false,
    })),
    rows: rows.rows.map((r) => ({
      source: r.source,
      file: r.file,
      line: Number(r.line),
      reason: r.reason,
      raw: r.raw,
      rawLength: r.raw_length === null ? null : Number(r.raw_length),
      rawTruncated: r.raw_truncated,
      rawBytesBase64: r.raw_bytes ? r.raw_bytes.toString('base64') : null,
    })),
    rowsTotal: total.rows[0]!.n,
  };
}
