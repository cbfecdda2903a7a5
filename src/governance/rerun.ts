import type { Queryable } from '../data/db';
import { worstVerdict } from '../ingest/verdicts';
import type { CheckResult, IngestSummary, SourceReport } from '../shared';

// A re-run that starts at compute or at the baseline tests reuses the ingest of the run it
// repeats: that ingest consumed the files (a second ingest finds nothing new), so its counts and
// verdicts are read back from what it stored, and the re-run computes over the same data.

export interface ReusedIngest {
  ingest: IngestSummary;
  /** The asOf the earlier run computed for; unset when it failed before compute. */
  asOf?: string;
}

/** A re-run asked of a run that never finished its ingest: it must start again from ingest. */
export class NoIngestToReuse extends Error {
  constructor(runId: string) {
    super(`run ${runId} has no finished ingest to reuse; re-run it from ingest`);
    this.name = 'NoIngestToReuse';
  }
}

/** The earlier run's ingest as its report: per-source counts and verdicts, and the watermarks it reached. */
export async function reusedIngest(
  db: Queryable,
  runId: string,
  kindOf: (source: string) => string | undefined,
): Promise<ReusedIngest> {
  const rows = await db.query<{
    source: string;
    kind: string | null;
    rows_read: string;
    stored: string;
    duplicates: string;
    quarantined: string;
    erased: string;
    newest_event: Date | null;
    checks: CheckResult[];
    files: number;
    bad_files: number;
  }>(
    `SELECT i.source, r.kind, i.rows_read, i.stored, i.duplicates, i.quarantined, i.erased, i.newest_event, i.checks,
            (SELECT count(*)::int FROM ingested_files f WHERE f.run_id = i.run_id AND f.source = i.source) AS files,
            (SELECT count(*)::int FROM quarantined_files f WHERE f.run_id = i.run_id AND f.source = i.source) AS bad_files
       FROM source_ingests i LEFT JOIN run_source_reports r ON r.run_id = i.run_id AND r.source = i.source
      WHERE i.run_id = $1 ORDER BY i.source`,
    [runId],
  );
  if (rows.rows.length === 0) throw new NoIngestToReuse(runId);
  const sources: SourceReport[] = rows.rows.map((r) => ({
    source: r.source,
    kind: r.kind ?? kindOf(r.source) ?? 'unknown',
    filesRead: r.files,
    filesSkipped: 0,
    filesQuarantined: r.bad_files,
    rowsRead: Number(r.rows_read),
    stored: Number(r.stored),
    duplicates: Number(r.duplicates),
    quarantined: Number(r.quarantined),
    erased: Number(r.erased),
    verdict: worstVerdict(r.checks.map((c) => c.verdict)),
    checks: r.checks,
  }));
  const sum = (k: 'filesRead' | 'filesQuarantined' | 'rowsRead' | 'stored' | 'duplicates' | 'quarantined' | 'erased') =>
    sources.reduce((n, s) => n + (s[k] ?? 0), 0);
  const run = await db.query<{ as_of: Date | null }>('SELECT as_of FROM runs WHERE run_id = $1', [runId]);
  const asOf = run.rows[0]?.as_of?.toISOString();
  return {
    ingest: {
      runId,
      filesRead: sum('filesRead'),
      filesSkipped: 0,
      filesQuarantined: sum('filesQuarantined'),
      rowsRead: sum('rowsRead'),
      stored: sum('stored'),
      duplicates: sum('duplicates'),
      quarantined: sum('quarantined'),
      erased: sum('erased'),
      lateAttributed: 0,
      watermarks: Object.fromEntries(
        rows.rows.filter((r) => r.newest_event).map((r) => [r.source, r.newest_event!.toISOString()]),
      ),
      sources,
    },
    ...(asOf ? { asOf } : {}),
  };
}
