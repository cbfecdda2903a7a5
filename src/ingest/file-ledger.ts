import type { Db, Queryable } from '../data/db';
import type { SourceReport } from '../shared';

/** What became of a file's rows (or a query source's read): the figures a report adds up. */
export interface FileTotals {
  rowsRead: number;
  stored: number;
  duplicates: number;
  quarantined: number;
  erased: number;
  nullKeys: number;
}

/** A file's fate in an earlier run, or an earlier attempt of this one. */
export type EarlierOutcome =
  | { kind: 'ingested'; runId: string; totals: FileTotals }
  | { kind: 'quarantined'; runId: string; reason: string; bytesRead: number; totals: FileTotals };

type TotalsRow = Record<'stored' | 'duplicates' | 'quarantined' | 'erased' | 'null_keys', string | number>;
const totalsOf = (r: TotalsRow | undefined): FileTotals => {
  const n = (k: keyof TotalsRow) => Number(r?.[k] ?? 0);
  const t = { stored: n('stored'), duplicates: n('duplicates'), quarantined: n('quarantined'), erased: n('erased') };
  return { ...t, rowsRead: t.stored + t.duplicates + t.quarantined + t.erased, nullKeys: n('null_keys') };
};
const COUNTS = 'stored, duplicates, quarantined, erased, null_keys';

/** Adds a file's totals to its source's report (the report counts rows; null keys are the caller's). */
export function addTotals(report: SourceReport, t: FileTotals): void {
  report.rowsRead += t.rowsRead;
  report.stored += t.stored;
  report.duplicates += t.duplicates;
  report.quarantined += t.quarantined;
  report.erased += t.erased;
}

/** Whether this exact file (name and content) was ingested or quarantined before, and by which run. */
export async function earlierOutcome(
  db: Queryable,
  source: string,
  file: string,
  sha256: string,
): Promise<EarlierOutcome | undefined> {
  const done = await db.query<TotalsRow & { run_id: string }>(
    `SELECT run_id, ${COUNTS} FROM ingested_files WHERE source = $1 AND file = $2 AND sha256 = $3`,
    [source, file, sha256],
  );
  if (done.rows[0]) return { kind: 'ingested', runId: done.rows[0].run_id, totals: totalsOf(done.rows[0]) };
  const bad = await db.query<TotalsRow & { run_id: string; reason: string; bytes_read: string }>(
    `SELECT run_id, reason, bytes_read, ${COUNTS} FROM quarantined_files WHERE source = $1 AND file = $2 AND sha256 = $3`,
    [source, file, sha256],
  );
  const b = bad.rows[0];
  if (!b) return undefined;
  return {
    kind: 'quarantined',
    runId: b.run_id,
    reason: b.reason,
    bytesRead: Number(b.bytes_read),
    totals: totalsOf(b),
  };
}

/**
 * What earlier attempts of this run read from a query source: the activity's retry reads on
 * from the cursor they left, so their rows are this run's too.
 */
export async function queryTotalsOfRun(db: Queryable, runId: string, source: string): Promise<FileTotals> {
  const r = await db.query<TotalsRow>(
    `SELECT sum(stored) AS stored, sum(duplicates) AS duplicates, sum(quarantined) AS quarantined, sum(erased) AS erased,
            sum(null_keys) AS null_keys
       FROM ingested_files WHERE run_id = $1 AND source = $2 AND file = $3`,
    [runId, source, `query:${source}`],
  );
  return totalsOf(r.rows[0]);
}

/** Takes a file's progress row: every chunk committed for it, a resumed load's earlier ones included. */
async function takeProgress(tx: Queryable, source: string, file: string, key: string) {
  const p = await tx.query<TotalsRow & { newest: Date | null }>(
    `DELETE FROM ingest_progress WHERE source = $1 AND file = $2 AND sha256 = $3 RETURNING ${COUNTS}, newest`,
    [source, file, key],
  );
  const newest = p.rows[0]?.newest ?? null;
  if (newest)
    await tx.query(
      `INSERT INTO source_watermarks (source, watermark) VALUES ($1, $2)
       ON CONFLICT (source) DO UPDATE SET watermark = GREATEST(source_watermarks.watermark, EXCLUDED.watermark), updated_at = now()`,
      [source, newest],
    );
  return totalsOf(p.rows[0]);
}

/** Marks the file done with its counts (kept so a retried attempt of the run reports them too). */
export async function finishFile(
  db: Db,
  at: {
    runId: string;
    source: string;
    file: string;
    sha256: string;
    progressKey?: string;
    /** A query source's new cursor: saved with the read's end, or neither. */
    cursor?: string;
  },
): Promise<FileTotals> {
  return db.transaction(async (tx) => {
    const t = await takeProgress(tx, at.source, at.file, at.progressKey ?? at.sha256);
    if (at.cursor !== undefined)
      await tx.query(
        `INSERT INTO source_cursors (source, cursor) VALUES ($1, $2) ON CONFLICT (source) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()`,
        [at.source, at.cursor],
      );
    await tx.query(
      `INSERT INTO ingested_files (source, file, sha256, run_id, rows_read, ${COUNTS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT DO NOTHING`,
      [
        at.source,
        at.file,
        at.sha256,
        at.runId,
        t.rowsRead,
        t.stored,
        t.duplicates,
        t.quarantined,
        t.erased,
        t.nullKeys,
      ],
    );
    return t;
  });
}

/**
 * Records a file that could not be read on. Rows committed from it before the fault stay (each
 * stored once; a corrected file sent again finds them as duplicates) and are counted here.
 */
export async function quarantineFile(
  db: Db,
  at: { runId: string; source: string; file: string; sha256: string; reason: string; bytesRead: number },
): Promise<FileTotals> {
  return db.transaction(async (tx) => {
    const t = await takeProgress(tx, at.source, at.file, at.sha256);
    await tx.query(
      `INSERT INTO quarantined_files (source, file, sha256, run_id, reason, bytes_read, rows_read, ${COUNTS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING`,
      [
        at.source,
        at.file,
        at.sha256,
        at.runId,
        at.reason,
        at.bytesRead,
        t.rowsRead,
        t.stored,
        t.duplicates,
        t.quarantined,
        t.erased,
        t.nullKeys,
      ],
    );
    return t;
  });
}
