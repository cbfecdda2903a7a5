import type { QualityThresholds } from '../sources/config';
import type { CheckResult, Verdict } from '../shared';

const band = (value: number, warn: number, fail: number): Verdict =>
  value >= fail ? 'fail' : value >= warn ? 'warn' : 'pass';
const round = (x: number) => Math.round(x * 100) / 100;

export interface SourceObservation {
  rowsRead: number;
  quarantined: number;
  nullKeys: number;
  /** Newest event (or record) time the source has ever delivered. */
  newest: Date | null;
  /** rows_read of the source's earlier ingests, newest first. */
  history: number[];
  now: Date;
}

/** Freshness, volume against the trailing median, quarantine rate and null rate of key fields. */
export function qualityChecks(o: SourceObservation, t: QualityThresholds): CheckResult[] {
  const checks: CheckResult[] = [];
  if (o.newest === null) {
    checks.push({
      name: 'freshness',
      verdict: 'warn',
      reason: 'no data delivered yet',
      figures: { ageHours: null },
      thresholds: { warnHours: t.freshnessWarnHours, failHours: t.freshnessFailHours },
    });
  } else {
    const ageHours = round((o.now.getTime() - o.newest.getTime()) / 3_600_000);
    checks.push({
      name: 'freshness',
      verdict: band(ageHours, t.freshnessWarnHours, t.freshnessFailHours),
      reason: `newest row is ${ageHours} h old (warn at ${t.freshnessWarnHours} h, fail at ${t.freshnessFailHours} h)`,
      figures: { ageHours },
      thresholds: { warnHours: t.freshnessWarnHours, failHours: t.freshnessFailHours },
    });
  }

  const history = o.history.slice(0, t.trailingRuns);
  if (history.length === 0) {
    checks.push({
      name: 'volume',
      verdict: 'pass',
      reason: `${o.rowsRead} rows; no earlier ingest to compare with`,
      figures: { rows: o.rowsRead, median: null, deviationPct: null },
      thresholds: { warnPct: t.volumeWarnPct, failPct: t.volumeFailPct },
    });
  } else {
    const sorted = [...history].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
    const deviationPct =
      median === 0 ? (o.rowsRead === 0 ? 0 : 100) : round((Math.abs(o.rowsRead - median) * 100) / median);
    checks.push({
      name: 'volume',
      verdict: band(deviationPct, t.volumeWarnPct, t.volumeFailPct),
      reason: `${o.rowsRead} rows vs a median of ${median} over the last ${history.length} ingests (${deviationPct}% off)`,
      figures: { rows: o.rowsRead, median, deviationPct },
      thresholds: { warnPct: t.volumeWarnPct, failPct: t.volumeFailPct },
    });
  }

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
  return checks;
}
