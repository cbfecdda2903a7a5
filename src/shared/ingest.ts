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
}
