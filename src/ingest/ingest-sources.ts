import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../data/db';
import type { Logger } from '../log';
import { ErasedIdentifierFilter } from '../privacy/erased-identifiers';
import type { ErasureKey } from '../privacy/erasure-key';
import { filesOf, loadSources, type SourceConfig } from '../sources/config';
import type { Count, IngestCounts, IngestSummary, SourceReport } from '../shared';
import { worstVerdict } from './verdicts';
import { IdentityCache } from './identity-cache';
import { loadFile } from './load-file';
import { ingestQuerySource } from './query-source';
import { attributeLateEvents } from './merge';
import { deriveState, holdDerivedStateShared } from '../cohorts/customer-state';
import { qualityChecks } from './quality';

async function hashFile(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Files loaded side by side: each load is one database backend merging while the reader parses. */
export const DEFAULT_LOADERS = 2;

/**
 * One ingest run over every configured source: CRM first (it links identities), then the
 * behavioural sources' files, `loaders` at a time; new files only; then late identity links;
 * then one pass that derives what compute reads from every row stored since the last one; then
 * per-source quality verdicts, stored with the counts so the next run's volume check has a history.
 * Rows naming an erased customer's identifier are refused on every path (files and query sources)
 * and counted.
 */
export async function ingestSources(
  deps: { db: Db; log: Logger; erasureKey?: ErasureKey },
  input: {
    runId: string;
    sourceDir: string;
    /** After every committed chunk (rowsDone: of the current file so far) and every file done or skipped. */
    heartbeat?: (detail: { source: string; file?: string; rowsDone: number; chunk: boolean; files: Count }) => void;
    now?: Date;
    chunkRows?: number;
    loaders?: number;
  },
): Promise<IngestSummary> {
  const sources = loadSources(input.sourceDir).sort((a, b) => Number(b.kind === 'crm') - Number(a.kind === 'crm'));
  const names = fs.existsSync(input.sourceDir) ? await fsp.readdir(input.sourceDir) : [];
  const reports = new Map<string, SourceReport>();
  const identities = new IdentityCache();
  const nullKeys = new Map<string, number>();
  const erased = await ErasedIdentifierFilter.load(deps.db, deps.erasureKey);
  const files: Count = {
    done: 0,
    total: sources.reduce((n, s) => n + filesOf(s, names).length + (s.query ? 1 : 0), 0),
  };
  const beat = (source: string, file: string | undefined, rowsDone: number, chunk = false) =>
    input.heartbeat?.({ source, ...(file ? { file } : {}), rowsDone, chunk, files: { ...files } });
  for (const source of sources) {
    reports.set(source.name, {
      source: source.name,
      kind: source.kind,
      filesRead: 0,
      filesSkipped: 0,
      rowsRead: 0,
      stored: 0,
      duplicates: 0,
      quarantined: 0,
      erased: 0,
      verdict: 'pass',
      checks: [],
    });
    nullKeys.set(source.name, 0);
  }

  const loadQuery = async (source: SourceConfig) => {
    const counts = await ingestQuerySource(deps.db, {
      runId: input.runId,
      source,
      erased,
      chunkRows: input.chunkRows,
      identities,
      onChunk: (rowsDone) => beat(source.name, undefined, rowsDone, true),
    });
    nullKeys.set(source.name, nullKeys.get(source.name)! + counts.nullKeys);
    const key = `after:${counts.cursor}`;
    await finishFile(
      deps.db,
      input.runId,
      source,
      `query:${source.name}`,
      key,
      counts.newest,
      reports.get(source.name)!,
      `after:${counts.from}`,
    );
    files.done += 1;
    beat(source.name, undefined, counts.rowsRead);
    deps.log.info({ source: source.name, ...counts }, 'ingested query source');
  };
  const loadOne = async (source: SourceConfig, name: string) => {
    const file = path.join(input.sourceDir, name);
    const sha256 = await hashFile(file);
    const seen = await deps.db.query('SELECT 1 FROM ingested_files WHERE source = $1 AND file = $2 AND sha256 = $3', [
      source.name,
      name,
      sha256,
    ]);
    if (seen.rowCount) {
      reports.get(source.name)!.filesSkipped += 1;
      files.done += 1;
      beat(source.name, name, 0);
      return;
    }
    const counts = await loadFile(deps.db, {
      runId: input.runId,
      source,
      file,
      name,
      sha256,
      erased,
      chunkRows: input.chunkRows,
      identities,
      onChunk: (rowsDone) => beat(source.name, name, rowsDone, true),
    });
    nullKeys.set(source.name, nullKeys.get(source.name)! + counts.nullKeys);
    await finishFile(deps.db, input.runId, source, name, sha256, counts.newest, reports.get(source.name)!);
    files.done += 1;
    beat(source.name, name, counts.rowsRead);
    deps.log.info({ source: source.name, file: name, ...counts }, 'ingested file');
  };
  const jobsOf = (kinds: (s: SourceConfig) => boolean) =>
    sources
      .filter(kinds)
      .flatMap((s) => [
        ...(s.query ? [() => loadQuery(s)] : []),
        ...filesOf(s, names).map((name) => () => loadOne(s, name)),
      ]);
  // CRM first and one file at a time: its links decide which customer each event belongs to.
  await inTurn(
    jobsOf((s) => s.kind === 'crm'),
    1,
  );
  await inTurn(
    jobsOf((s) => s.kind !== 'crm'),
    input.loaders ?? DEFAULT_LOADERS,
  );

  const loaded = Date.now();
  const lateAttributed = await deps.db.transaction(async (tx) => {
    await holdDerivedStateShared(tx);
    return attributeLateEvents(tx);
  });
  const attributed = Date.now();
  const derived = await deriveState(deps.db);
  deps.log.info(
    {
      traits: derived.traits,
      customers: derived.customers,
      attributeMs: attributed - loaded,
      deriveMs: Date.now() - attributed,
    },
    'derived the state compute reads',
  );
  const now = input.now ?? new Date();
  for (const source of sources)
    await judge(deps.db, input.runId, source, reports.get(source.name)!, nullKeys.get(source.name)!, now);
  const marks = await deps.db.query<{ source: string; watermark: Date }>(
    'SELECT source, watermark FROM source_watermarks',
  );
  const all = [...reports.values()];
  const sum = (k: keyof IngestCounts) => all.reduce((n, r) => n + r[k], 0);
  return {
    runId: input.runId,
    filesRead: sum('filesRead'),
    filesSkipped: sum('filesSkipped'),
    rowsRead: sum('rowsRead'),
    stored: sum('stored'),
    duplicates: sum('duplicates'),
    quarantined: sum('quarantined'),
    erased: sum('erased'),
    lateAttributed,
    watermarks: Object.fromEntries(marks.rows.map((m) => [m.source, m.watermark.toISOString()])),
    sources: all,
  };
}

/** Runs the jobs, at most `limit` at once, in order of start; the first failure is thrown once all have settled. */
async function inTurn(jobs: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < jobs.length && failures.length === 0) {
      const job = jobs[next++]!;
      await job().catch((err: unknown) => failures.push(err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

/** Marks the file done, counting every chunk committed for it (a resumed load included). */
async function finishFile(
  db: Db,
  runId: string,
  source: SourceConfig,
  name: string,
  sha256: string,
  newest: Date | null,
  report: SourceReport,
  progressKey = sha256,
): Promise<void> {
  const totals = await db.transaction(async (tx) => {
    const p = await tx.query<{
      rows_done: number;
      stored: number;
      duplicates: number;
      quarantined: number;
      erased: number;
    }>(
      'DELETE FROM ingest_progress WHERE source = $1 AND file = $2 AND sha256 = $3 RETURNING rows_done, stored, duplicates, quarantined, erased',
      [source.name, name, progressKey],
    );
    const t = p.rows[0] ?? { rows_done: 0, stored: 0, duplicates: 0, quarantined: 0, erased: 0 };
    const rowsRead = t.stored + t.duplicates + t.quarantined + t.erased;
    await tx.query(
      'INSERT INTO ingested_files (source, file, sha256, run_id, rows_read) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING',
      [source.name, name, sha256, runId, rowsRead],
    );
    if (newest) {
      await tx.query(
        `INSERT INTO source_watermarks (source, watermark) VALUES ($1, $2)
         ON CONFLICT (source) DO UPDATE SET watermark = GREATEST(source_watermarks.watermark, EXCLUDED.watermark), updated_at = now()`,
        [source.name, newest],
      );
    }
    return { ...t, rowsRead };
  });
  report.filesRead += 1;
  report.rowsRead += totals.rowsRead;
  report.stored += totals.stored;
  report.duplicates += totals.duplicates;
  report.quarantined += totals.quarantined;
  report.erased += totals.erased;
}

const DAY_MS = 86_400_000;
/** Days a batch's data spans, at least an hour's worth: rows that did not move the newest on count as that. */
const daysOfData = (ms: number) => Math.max(ms, DAY_MS / 24) / DAY_MS;

async function judge(
  db: Db,
  runId: string,
  source: SourceConfig,
  report: SourceReport,
  nullKeys: number,
  now: Date,
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
