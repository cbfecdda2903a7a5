import type { Db } from '../data/db';
import type { SourceConfig } from '../sources/config';
import type { SourceReport } from '../shared';
import { qualityChecks, type SourceObservation } from './quality';
import { worstVerdict } from './verdicts';

const DAY_MS = 86_400_000;
/** Days a batch's data spans, at least an hour's worth: rows that did not move the newest on count as that. */
const daysOfData = (ms: number) => Math.max(ms, DAY_MS / 24) / DAY_MS;

/**
 * The source's quality verdicts for this ingest, stored with its counts: the history the next
 * ingests' volume checks compare with.
 */
export async function judge(
  db: Db,
  runId: string,
  source: SourceConfig,
  report: SourceReport,
  nullKeys: number,
  now: Date,
  badFiles: SourceObservation['badFiles'] = [],
): Promise<void> {
  // The volume baseline: earlier ingests that brought valid rows, each with the days of data it added
  // (its newest data minus the newest before it). Empty ingests only carry the newest forward.
  const history = await db.query<{ rows: number; days: number }>(
    `SELECT rows, days FROM (
       SELECT (rows_read - quarantined)::float8 AS rows, at,
              EXTRACT(EPOCH FROM newest_event - lag(newest_event) OVER (ORDER BY at)) / 86400 AS days
         FROM source_ingests WHERE source = $1 AND run_id <> $2) earlier
     WHERE rows > 0 AND days IS NOT NULL
     ORDER BY at DESC LIMIT $3`,
    [source.name, runId, source.checks.trailingRuns],
  );
  const before = await db.query<{ newest_event: Date | null }>(
    'SELECT newest_event FROM source_ingests WHERE source = $1 AND run_id <> $2 ORDER BY at DESC LIMIT 1',
    [source.name, runId],
  );
  const mark = await db.query<{ watermark: Date }>('SELECT watermark FROM source_watermarks WHERE source = $1', [
    source.name,
  ]);
  const newest = mark.rows[0]?.watermark ?? null;
  const previous = before.rows[0]?.newest_event ?? null;
  report.checks = qualityChecks(
    {
      rowsRead: report.rowsRead,
      quarantined: report.quarantined,
      nullKeys,
      newest,
      days: newest && previous ? daysOfData(newest.getTime() - previous.getTime()) : null,
      history: history.rows.map((h) => ({ rows: Number(h.rows), days: daysOfData(Number(h.days) * DAY_MS) })),
      now,
      badFiles,
    },
    source.checks,
  );
  report.verdict = worstVerdict(report.checks.map((c) => c.verdict));
  await db.query(
    `INSERT INTO source_ingests (run_id, source, rows_read, stored, duplicates, quarantined, null_keys, newest_event, checks, erased) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (run_id, source) DO UPDATE SET rows_read = EXCLUDED.rows_read, stored = EXCLUDED.stored, duplicates = EXCLUDED.duplicates,
       quarantined = EXCLUDED.quarantined, erased = EXCLUDED.erased, null_keys = EXCLUDED.null_keys, newest_event = EXCLUDED.newest_event, checks = EXCLUDED.checks`,
    [
      runId,
      source.name,
      report.rowsRead,
      report.stored,
      report.duplicates,
      report.quarantined,
      nullKeys,
      mark.rows[0]?.watermark ?? null,
      JSON.stringify(report.checks),
      report.erased,
    ],
  );
}
