import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Db } from '../data/db';
import type { SourceConfig } from '../sources/config';
import { mergeCrm, mergeEvents } from './merge';
import { readRowBatches, type RawRow } from './read-rows';
import { copyLine, STAGE_COLUMNS, STAGE_DDL, stageRow, type Staged } from './staging';

/** Rows per transaction: big enough for set-based merges, small enough to resume cheaply. */
export const CHUNK_ROWS = 50_000;

export interface FileCounts {
  rowsRead: number;
  stored: number;
  duplicates: number;
  quarantined: number;
  nullKeys: number;
  unattributed: number;
  newest: Date | null;
}

interface Chunk {
  staged: Staged[];
  bad: Array<{ line: number; raw: string; reason: string }>;
  lastLine: number;
  nullKeys: number;
}

/**
 * Loads one file in chunks. Each chunk — stage (COPY, or batched INSERT on embedded PGlite),
 * merge, quarantine, progress — is one transaction, so a restarted load resumes after the last
 * committed chunk and nothing is stored twice. Parsing the next chunk overlaps the database
 * work of the previous one; commits stay in order.
 */
export async function loadFile(
  db: Db,
  input: {
    runId: string;
    source: SourceConfig;
    file: string;
    name: string;
    sha256: string;
    onChunk?: (rowsDone: number) => void;
    chunkRows?: number;
  },
): Promise<FileCounts> {
  return loadRows(db, { ...input, rows: (after) => readRowBatches(input.file, after) });
}

/**
 * The same for any stream of rows with stable line numbers (a file, a query ordered by its
 * cursor column), in batches; `name` and `sha256` key its progress.
 */
export async function loadRows(
  db: Db,
  input: {
    runId: string;
    source: SourceConfig;
    name: string;
    sha256: string;
    rows: (after: number) => AsyncIterable<RawRow[]>;
    onChunk?: (rowsDone: number) => void;
    chunkRows?: number;
  },
): Promise<FileCounts> {
  const chunkRows = input.chunkRows ?? CHUNK_ROWS;
  const progress = await db.query<{ rows_done: number }>(
    'SELECT rows_done FROM ingest_progress WHERE source = $1 AND file = $2 AND sha256 = $3',
    [input.source.name, input.name, input.sha256],
  );
  const resumeAfter = progress.rows[0]?.rows_done ?? 0;
  const totals: FileCounts = {
    rowsRead: 0,
    stored: 0,
    duplicates: 0,
    quarantined: 0,
    nullKeys: 0,
    unattributed: 0,
    newest: null,
  };
  // A row stamped after the moment it is read is a clock error, not data: it goes to quarantine,
  // so nothing stored ever lies ahead of its own ingestion (and no watermark ahead of now).
  const latestMs = Date.now();

  let chunk: Chunk = { staged: [], bad: [], lastLine: resumeAfter, nullKeys: 0 };
  let inFlight: Promise<void> | undefined;
  for await (const batch of input.rows(resumeAfter)) {
    for (const row of batch) {
      if ('error' in row) chunk.bad.push({ line: row.line, raw: row.raw, reason: row.error });
      else {
        const staged = stageRow(input.source, row.record, row.line, latestMs);
        if ('reason' in staged) chunk.bad.push({ line: row.line, raw: row.raw, reason: staged.reason });
        else {
          chunk.staged.push(staged);
          if (staged.nullKey) chunk.nullKeys += 1;
        }
      }
      chunk.lastLine = row.line;
      if (chunk.staged.length + chunk.bad.length >= chunkRows) {
        await inFlight; // one chunk in the database at a time: commits stay in order
        inFlight = commitChunk(db, input, chunk, totals);
        inFlight.catch(() => undefined); // its failure surfaces at the next await
        chunk = { staged: [], bad: [], lastLine: chunk.lastLine, nullKeys: 0 };
      }
    }
  }
  await inFlight;
  if (chunk.staged.length + chunk.bad.length > 0) await commitChunk(db, input, chunk, totals);
  return totals;
}

async function commitChunk(
  db: Db,
  input: { runId: string; source: SourceConfig; name: string; sha256: string; onChunk?: (rowsDone: number) => void },
  chunk: Chunk,
  totals: FileCounts,
): Promise<void> {
  const table = input.source.kind === 'crm' ? 'stage_crm' : 'stage_events';
  const counts = await db.transaction(async (tx) => {
    // Losing this commit in a crash is harmless: its progress row goes with it, so it is redone.
    await tx.query('SET LOCAL synchronous_commit = off');
    // A chunk's sorts and aggregates fit in memory instead of spilling to disk.
    await tx.query(`SET LOCAL work_mem = '64MB'`);
    await tx.query(STAGE_DDL[table]);
    await stage(tx, db.embedded, table, chunk.staged);
    await tx.query(`ANALYZE ${table}`); // real row counts: hash joins, not a nested loop per row
    let stored: number;
    let duplicates: number;
    let unattributed = 0;
    let newest: Date | null;
    if (table === 'stage_crm') {
      ({ stored, duplicates } = await mergeCrm(tx));
      newest = newestCrmUpdate(chunk.staged);
    } else {
      const merged = await mergeEvents(tx, input.source.name);
      ({ stored, unattributed, newest } = merged);
      duplicates = chunk.staged.length - stored;
    }
    if (chunk.bad.length > 0) {
      await tx.query(
        `INSERT INTO quarantine (run_id, source, file, line, raw, reason) SELECT $1, $2, $3, * FROM unnest($4::bigint[], $5::text[], $6::text[])`,
        [
          input.runId,
          input.source.name,
          input.name,
          chunk.bad.map((b) => b.line),
          chunk.bad.map((b) => b.raw),
          chunk.bad.map((b) => b.reason),
        ],
      );
    }
    const rowsRead = chunk.staged.length + chunk.bad.length;
    await tx.query(
      `INSERT INTO ingest_progress AS p (source, file, sha256, rows_done, stored, duplicates, quarantined) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (source, file, sha256) DO UPDATE SET rows_done = EXCLUDED.rows_done, stored = p.stored + EXCLUDED.stored,
         duplicates = p.duplicates + EXCLUDED.duplicates, quarantined = p.quarantined + EXCLUDED.quarantined, updated_at = now()`,
      [input.source.name, input.name, input.sha256, chunk.lastLine, stored, duplicates, chunk.bad.length],
    );
    return { rowsRead, stored, duplicates, unattributed, newest };
  });
  totals.rowsRead += counts.rowsRead;
  totals.stored += counts.stored;
  totals.duplicates += counts.duplicates;
  totals.quarantined += chunk.bad.length;
  totals.nullKeys += chunk.nullKeys;
  totals.unattributed += counts.unattributed;
  if (counts.newest && (!totals.newest || counts.newest > totals.newest)) totals.newest = counts.newest;
  input.onChunk?.(chunk.lastLine);
}

/** A CRM source is as fresh as its newest record change. */
function newestCrmUpdate(rows: Staged[]): Date | null {
  let newest: string | null = null;
  for (const s of rows)
    if (s.table === 'stage_crm' && (newest === null || s.row.updated_at > newest)) newest = s.row.updated_at;
  return newest === null ? null : new Date(newest);
}

/** Bulk-loads the chunk into its temp staging table: COPY on a server, batched INSERTs on PGlite. */
async function stage(
  tx: pg.PoolClient,
  embedded: boolean,
  table: keyof typeof STAGE_COLUMNS,
  rows: Staged[],
): Promise<void> {
  if (rows.length === 0) return;
  const columns = STAGE_COLUMNS[table];
  if (!embedded) {
    await pipeline(
      Readable.from(copyText(rows, columns)),
      tx.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)),
    );
    return;
  }
  for (let i = 0; i < rows.length; i += 5_000) {
    const batch = rows.slice(i, i + 5_000).map((s) => s.row);
    await tx.query(`INSERT INTO ${table} SELECT * FROM json_populate_recordset(NULL::${table}, $1::json)`, [
      JSON.stringify(batch),
    ]);
  }
}

/** The rows in COPY text format, in pieces of about a megabyte: one write per piece, not per row. */
function* copyText(rows: Staged[], columns: readonly string[]): Generator<string> {
  let piece = '';
  for (const s of rows) {
    const row = s.row as unknown as Record<string, unknown>;
    piece += copyLine(columns.map((c) => row[c]));
    if (piece.length >= 1 << 20) {
      yield piece;
      piece = '';
    }
  }
  if (piece !== '') yield piece;
}
