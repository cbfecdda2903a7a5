// What an ingest reports: counts that always add up, and per-source verdicts.
import type { CheckResult, Verdict } from './checks';

/** Always adds up: rowsRead = stored + duplicates + quarantined + erased. */
export interface IngestCounts {
  filesRead: number;
  filesSkipped: number;
  rowsRead: number;
  stored: number;
  duplicates: number;
  quarantined: number;
  /** Rows refused because they name an identifier of an erased customer: dropped, not stored, not quarantined. */
  erased: number;
  /**
   * Files that could not be read on (not text, truncated or corrupt gzip, unreadable): quarantined
   * as files. Rows read from them before the fault are in the counts above. Absent from reports
   * made before files could be quarantined.
   */
  filesQuarantined?: number;
}

/** A file ingest quarantined whole, in this run or (skipped now) in an earlier one. */
export interface QuarantinedFile {
  source: string;
  file: string;
  /** Of the file's content; empty when it could not be read to hash it. */
  sha256: string;
  reason: string;
  /** Bytes of the file (as stored) read before the fault. */
  bytesRead: number;
  /** Rows read from it before the fault (stored, duplicate, quarantined or erased as usual). */
  rowsRead: number;
  /** The run that quarantined it. */
  runId: string;
  /** Quarantined by an earlier run: this run skipped it. */
  skipped: boolean;
}

export interface SourceReport extends IngestCounts {
  source: string;
  kind: string;
  verdict: Verdict;
  checks: CheckResult[];
}

/** The counts are the sums of the sources' counts. */
export interface IngestSummary extends IngestCounts {
  runId: string;
  /** Events stored before their customer was known, then attributed in this run. */
  lateAttributed: number;
  /** Newest event time stored per source, ISO. */
  watermarks: Record<string, string>;
  sources: SourceReport[];
  /** Files quarantined whole or skipped for it, the first 20 (the summary crosses the workflow boundary). */
  quarantinedFiles?: QuarantinedFile[];
}

/** A quarantined row as people read it: where it was, why, and what of it is kept. */
export interface QuarantinedRow {
  source: string;
  file: string;
  line: number;
  reason: string;
  /** At most 64 KiB of the row's text; bytes that are not UTF-8 text are written as \xNN. */
  raw: string;
  /** The row's full length in bytes (null for rows quarantined before lengths were kept). */
  rawLength: number | null;
  /** Whether `raw` holds less than the whole row. */
  rawTruncated: boolean;
  /** The exact bytes (base64) of a row that is not UTF-8 text; null otherwise. */
  rawBytesBase64: string | null;
}

/** What a run's ingest quarantined: whole files, then rows (the first `limit`, by source, file and line). */
export interface RunQuarantine {
  runId: string;
  files: QuarantinedFile[];
  rows: QuarantinedRow[];
  /** Rows quarantined in the run, all of them. */
  rowsTotal: number;
}
