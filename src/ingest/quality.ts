import type { QualityThresholds } from '../sources/config';
import type { CheckResult, Verdict } from '../shared';

const band = (value: number, warn: number, fail: number): Verdict =>
  value >= fail ? 'fail' : value >= warn ? 'warn' : 'pass';
const round = (x: number) => Math.round(x * 100) / 100;

/** An earlier ingest of the source that brought valid rows: how many, over how many days of data. */
export interface IngestVolume {
  rows: number;
  /** The span its rows moved the source's newest data forward, in days (at least an hour's worth). */
  days: number;
}

export interface SourceObservation {
  rowsRead: number;
  quarantined: number;
  nullKeys: number;
  /** Newest event (or record) time the source has ever delivered. */
  newest: Date | null;
  /** Days of data this ingest covers (newest before it to newest after it); null when unknown (a first ingest). */
  days: number | null;
  /**
   * Earlier ingests that brought rows and whose span is known, newest first. Ingests that brought
   * nothing never enter it: a refresh without new data is no evidence of what a batch holds.
   */
  history: IngestVolume[];
  now: Date;
  /** Files quarantined whole in this ingest, or quarantined before and skipped now. */
  badFiles?: Array<{ file: string; reason: string; skippedSince?: string }>;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Age in hours, said in days past two days. */
const age = (hours: number) => (hours >= 48 ? `${round(hours / 24)} days` : `${hours} h`);

/**
 * Freshness (how old the newest data is), volume (rows per day of data against the trailing
 * median), quarantine rate and null rate of key fields; and, when there are any, the files
 * quarantined whole.
 */
export function qualityChecks(o: SourceObservation, t: QualityThresholds): CheckResult[] {
  const checks: CheckResult[] = [];
  const thresholds = { warnHours: t.freshnessWarnHours, failHours: t.freshnessFailHours };
  if (o.newest === null) {
    checks.push({
      name: 'freshness',
      verdict: 'warn',
      reason: 'no data delivered yet',
      figures: { ageHours: null, newest: null },
      thresholds,
    });
  } else {
    const ageHours = round((o.now.getTime() - o.newest.getTime()) / 3_600_000);
    const nothingNew = o.rowsRead === 0 ? '; this ingest brought no new rows' : '';
    checks.push({
      name: 'freshness',
      verdict: band(ageHours, t.freshnessWarnHours, t.freshnessFailHours),
      reason: `newest data (${o.newest.toISOString()}) is ${age(ageHours)} old${nothingNew} (warn at ${age(t.freshnessWarnHours)}, fail at ${age(t.freshnessFailHours)})`,
      figures: { ageHours, newest: o.newest.toISOString() },
      thresholds,
    });
  }
  checks.push(volumeCheck(o, t));

  const quarantinePct = o.rowsRead === 0 ? 0 : round((o.quarantined * 100) / o.rowsRead);
  checks.push({
    name: 'quarantine_rate',
    verdict: band(quarantinePct, t.quarantineWarnPct, t.quarantineFailPct),
    reason: `${o.quarantined} of ${o.rowsRead} rows quarantined (${quarantinePct}%)`,
    figures: { quarantined: o.quarantined, rows: o.rowsRead, pct: quarantinePct },
    thresholds: { warnPct: t.quarantineWarnPct, failPct: t.quarantineFailPct },
  });

  const valid = o.rowsRead - o.quarantined;
  const nullPct = valid <= 0 ? 0 : round((o.nullKeys * 100) / valid);
  checks.push({
    name: 'null_rate',
    verdict: band(nullPct, t.nullWarnPct, t.nullFailPct),
    reason: `${o.nullKeys} of ${valid} valid rows lack their key field (${nullPct}%)`,
    figures: { nullKeys: o.nullKeys, rows: valid, pct: nullPct },
    thresholds: { warnPct: t.nullWarnPct, failPct: t.nullFailPct },
  });
  if (o.badFiles?.length) checks.push(badFilesCheck(o.badFiles));
  return checks;
}

/** Files listed by name in the reason; past this many, how many more. */
const NAMED_FILES = 3;

/**
 * A source folder holding a file ingest could not read: its data is missing from what compute
 * sees, so a person should know (a `fail` policy has stopped the run before this is judged).
 */
function badFilesCheck(files: NonNullable<SourceObservation['badFiles']>): CheckResult {
  const now = files.filter((f) => !f.skippedSince);
  const named = files
    .slice(0, NAMED_FILES)
    .map((f) =>
      f.skippedSince
        ? `${f.file} skipped: quarantined by run ${f.skippedSince} (${f.reason})`
        : `${f.file} quarantined: ${f.reason}`,
    );
  const more = files.length > NAMED_FILES ? `; and ${files.length - NAMED_FILES} more` : '';
  return {
    name: 'bad_files',
    verdict: 'warn',
    reason: `${named.join('; ')}${more}`,
    figures: { quarantined: now.length, skipped: files.length - now.length },
    thresholds: {},
  };
}

/**
 * Valid rows per day of data, so a monthly batch compares with a quarter's first load; an ingest
 * that brought nothing passes (it computes over the data there is: freshness says how old that is).
 */
function volumeCheck(o: SourceObservation, t: QualityThresholds): CheckResult {
  const thresholds = { warnPct: t.volumeWarnPct, failPct: t.volumeFailPct };
  const history = o.history.slice(0, t.trailingRuns);
  // Valid rows: what the quarantine rate does not already judge.
  const rows = o.rowsRead - o.quarantined;
  const perDay = o.days === null || rows <= 0 ? null : round(rows / o.days);
  const figures = { rows, days: o.days === null ? null : round(o.days), rowsPerDay: perDay };
  if (rows <= 0)
    return {
      name: 'volume',
      verdict: 'pass',
      reason: 'no new valid rows in this ingest; cohorts are computed over the data already stored',
      figures: { ...figures, median: null, deviationPct: null },
      thresholds,
    };
  if (perDay === null || history.length === 0)
    return {
      name: 'volume',
      verdict: 'pass',
      reason: `${rows} valid rows; no earlier ingest with rows to compare with`,
      figures: { ...figures, median: null, deviationPct: null },
      thresholds,
    };
  const usual = round(median(history.map((h) => h.rows / h.days)));
  const deviationPct = usual === 0 ? 100 : round((Math.abs(perDay - usual) * 100) / usual);
  return {
    name: 'volume',
    verdict: band(deviationPct, t.volumeWarnPct, t.volumeFailPct),
    reason: `${rows} valid rows over ${round(o.days!)} days of data (${perDay} a day) vs a median of ${usual} a day over the last ${history.length} ingests with rows (${deviationPct}% off)`,
    figures: { ...figures, median: usual, deviationPct },
    thresholds,
  };
}
