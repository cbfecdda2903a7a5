import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Db } from '../data/db';
import type { Logger } from '../log';
import { ErasedIdentifierFilter } from '../privacy/erased-identifiers';
import type { ErasureKey } from '../privacy/erasure-key';
import { filesOf, loadSources, type SourceConfig } from '../sources/config';
import type { Count, IngestCounts, IngestSummary, QuarantinedFile, SourceReport } from '../shared';
import { IdentityCache } from './identity-cache';
import { loadFile } from './load-file';
import { ingestQuerySource } from './query-source';
import { attributeLateEvents } from './merge';
import { deriveState, holdDerivedStateShared } from '../cohorts/customer-state';
import { FileFault } from './read-lines';
import { judge } from './judge';
import {
  addTotals,
  earlierOutcome,
  finishFile,
  quarantineFile,
  queryTotalsOfRun,
  type FileTotals,
} from './file-ledger';

/** A source's policy (badFiles: fail) stops the run at a file that cannot be read: no retry can fix it. */
export class BadSourceFile extends Error {
  constructor(
    readonly source: string,
    readonly file: string,
    readonly reason: string,
  ) {
    super(
      `source ${source}: file ${file} quarantined: ${reason} (the source's badFiles policy is fail; replace or remove the file, or set badFiles: warn)`,
    );
    this.name = 'BadSourceFile';
  }
}

async function hashFile(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Quarantined files the summary lists (it crosses the workflow boundary; the table has them all). */
const QUARANTINED_FILES_LISTED = 20;

/** Files loaded side by side: each load is one database backend merging while the reader parses. */
export const DEFAULT_LOADERS = 2;

/**
 * One ingest run over every configured source: CRM first (it links identities), then the
 * behavioural sources' files, `loaders` at a time; new files only; then late identity links;
 * then one pass that derives what compute reads from every row stored since the last one; then
 * per-source quality verdicts, stored with the counts so the next run's volume check has a history.
 * Rows naming an erased customer's identifier are refused on every path (files and query sources)
 * and counted. A file that cannot be read on is quarantined as a file and never tried again; the
 * source's `badFiles` policy says whether the run goes on (with a warning) or stops. The report
 * counts what this run read, files an earlier attempt of it finished included, so a retried
 * activity reports what a clean run would have.
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
  const { runId } = input;
  const sources = loadSources(input.sourceDir).sort((a, b) => Number(b.kind === 'crm') - Number(a.kind === 'crm'));
  const names = fs.existsSync(input.sourceDir) ? await fsp.readdir(input.sourceDir) : [];
  const reports = new Map<string, SourceReport>();
  const identities = new IdentityCache();
  const nullKeys = new Map<string, number>();
  const badFiles = new Map<string, QuarantinedFile[]>();
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
      filesQuarantined: 0,
      rowsRead: 0,
      stored: 0,
      duplicates: 0,
      quarantined: 0,
      erased: 0,
      verdict: 'pass',
      checks: [],
    });
    nullKeys.set(source.name, 0);
    badFiles.set(source.name, []);
  }
  /** Rows of a file (or query read) this run read, in this attempt or an earlier one. */
  const count = (source: SourceConfig, t: FileTotals) => {
    addTotals(reports.get(source.name)!, t);
    nullKeys.set(source.name, nullKeys.get(source.name)! + t.nullKeys);
  };
  /** A file quarantined whole: counted, reported, and by the source's policy the run goes on or stops. */
  const quarantined = (source: SourceConfig, f: Omit<QuarantinedFile, 'source'>, t: FileTotals) => {
    const report = reports.get(source.name)!;
    badFiles.get(source.name)!.push({ source: source.name, ...f });
    if (f.skipped) {
      report.filesSkipped += 1;
      deps.log.warn({ source: source.name, file: f.file, since: f.runId }, 'skipped a file quarantined before');
      return;
    }
    count(source, t);
    report.filesQuarantined! += 1;
    deps.log.warn(
      { source: source.name, file: f.file, reason: f.reason, bytesRead: f.bytesRead },
      'quarantined a file',
    );
    if (source.badFiles === 'fail') throw new BadSourceFile(source.name, f.file, f.reason);
  };

  const loadQuery = async (source: SourceConfig) => {
    // An earlier attempt of this run may have read it already: the retry reads on from its cursor.
    count(source, await queryTotalsOfRun(deps.db, runId, source.name));
    const counts = await ingestQuerySource(deps.db, {
      runId,
      source,
      erased,
      chunkRows: input.chunkRows,
      identities,
      onChunk: (rowsDone) => beat(source.name, undefined, rowsDone, true),
    });
    const totals = await finishFile(deps.db, {
      runId,
      source: source.name,
      file: `query:${source.name}`,
      sha256: `after:${counts.cursor}`,
      progressKey: `after:${counts.from}`,
      cursor: counts.cursor,
    });
    count(source, totals);
    reports.get(source.name)!.filesRead += 1;
    files.done += 1;
    beat(source.name, undefined, counts.rowsRead);
    deps.log.info({ source: source.name, ...counts }, 'ingested query source');
  };
  const loadOne = async (source: SourceConfig, name: string) => {
    const report = reports.get(source.name)!;
    const file = path.join(input.sourceDir, name);
    const done = () => {
      files.done += 1;
      beat(source.name, name, 0);
    };
    let sha256: string;
    try {
      sha256 = await hashFile(file);
    } catch (err) {
      deps.log.warn({ err, source: source.name, file: name }, 'cannot read a source file');
      const reason = `cannot read the file: ${(err as Error).message.replace(/, \w+ '[^']*'$/, '')}`;
      return fileFault(source, name, '', new FileFault(reason, 0));
    }
    const before = await earlierOutcome(deps.db, source.name, name, sha256);
    // Files an earlier attempt of this run finished are this run's: reported with their counts.
    if (before?.kind === 'ingested' && before.runId === runId) {
      count(source, before.totals);
      report.filesRead += 1;
      return done();
    }
    if (before?.kind === 'quarantined') {
      const ours = before.runId === runId;
      done();
      const f = { file: name, sha256, reason: before.reason, bytesRead: before.bytesRead, runId: before.runId };
      return quarantined(source, { ...f, rowsRead: before.totals.rowsRead, skipped: !ours }, before.totals);
    }
    if (before) {
      report.filesSkipped += 1;
      return done();
    }
    let counts;
    try {
      counts = await loadFile(deps.db, {
        runId,
        source,
        file,
        name,
        sha256,
        erased,
        chunkRows: input.chunkRows,
        identities,
        onChunk: (rowsDone) => beat(source.name, name, rowsDone, true),
      });
    } catch (err) {
      if (err instanceof FileFault) return fileFault(source, name, sha256, err);
      throw err;
    }
    count(source, await finishFile(deps.db, { runId, source: source.name, file: name, sha256 }));
    report.filesRead += 1;
    files.done += 1;
    beat(source.name, name, counts.rowsRead);
    deps.log.info({ source: source.name, file: name, ...counts }, 'ingested file');
  };
  const fileFault = async (source: SourceConfig, name: string, sha256: string, fault: FileFault) => {
    const at = { runId, source: source.name, file: name, sha256, reason: fault.reason, bytesRead: fault.bytesRead };
    const totals = await quarantineFile(deps.db, at);
    files.done += 1;
    beat(source.name, name, totals.rowsRead);
    const f = { file: name, sha256, reason: fault.reason, bytesRead: fault.bytesRead, runId };
    quarantined(source, { ...f, rowsRead: totals.rowsRead, skipped: false }, totals);
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
  for (const source of sources) {
    const bad = badFiles.get(source.name)!.map((f) => ({
      file: f.file,
      reason: f.reason,
      ...(f.skipped ? { skippedSince: f.runId } : {}),
    }));
    await judge(deps.db, runId, source, reports.get(source.name)!, nullKeys.get(source.name)!, now, bad);
  }
  const marks = await deps.db.query<{ source: string; watermark: Date }>(
    'SELECT source, watermark FROM source_watermarks',
  );
  const all = [...reports.values()];
  const sum = (k: keyof IngestCounts) => all.reduce((n, r) => n + (r[k] ?? 0), 0);
  return {
    runId,
    filesRead: sum('filesRead'),
    filesSkipped: sum('filesSkipped'),
    filesQuarantined: sum('filesQuarantined'),
    rowsRead: sum('rowsRead'),
    stored: sum('stored'),
    duplicates: sum('duplicates'),
    quarantined: sum('quarantined'),
    erased: sum('erased'),
    lateAttributed,
    watermarks: Object.fromEntries(marks.rows.map((m) => [m.source, m.watermark.toISOString()])),
    sources: all,
    quarantinedFiles: [...badFiles.values()].flat().slice(0, QUARANTINED_FILES_LISTED),
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
