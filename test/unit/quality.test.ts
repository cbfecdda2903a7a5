import { qualityChecks } from '../../src/ingest/quality';
import { QualityThresholds } from '../../src/sources/config';

const t = QualityThresholds.parse({});
const now = new Date('2026-11-21T00:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const check = (name: string, o: Partial<Parameters<typeof qualityChecks>[0]>) =>
  qualityChecks({ rowsRead: 1000, quarantined: 0, nullKeys: 0, newest: hoursAgo(1), history: [], now, ...o }, t).find(
    (c) => c.name === name,
  )!;

describe('data-quality checks', () => {
  it('passes fresh data, warns at the warn age and fails at the fail age', () => {
    expect(check('freshness', { newest: hoursAgo(47.9) }).verdict).toBe('pass');
    expect(check('freshness', { newest: hoursAgo(48) }).verdict).toBe('warn');
    expect(check('freshness', { newest: hoursAgo(168) })).toMatchObject({
      verdict: 'fail',
      figures: { ageHours: 168 },
    });
  });

  it('warns when a source has never delivered anything', () => {
    expect(check('freshness', { newest: null })).toMatchObject({ verdict: 'warn', reason: 'no data delivered yet' });
  });

  it('compares volume with the median of the trailing ingests', () => {
    expect(check('volume', { rowsRead: 1000, history: [] })).toMatchObject({
      verdict: 'pass',
      figures: { median: null },
    });
    expect(check('volume', { rowsRead: 1490, history: [1000, 900, 1100] })).toMatchObject({
      verdict: 'pass',
      figures: { median: 1000, deviationPct: 49 },
    });
    expect(check('volume', { rowsRead: 500, history: [1000, 900, 1100] })).toMatchObject({
      verdict: 'warn',
      figures: { deviationPct: 50 },
    });
    expect(check('volume', { rowsRead: 0, history: [1000, 900, 1100, 1000] })).toMatchObject({
      verdict: 'fail',
      figures: { median: 1000, deviationPct: 100 },
    });
  });

  it('takes only the configured number of trailing ingests', () => {
    expect(
      check('volume', { rowsRead: 100, history: [100, 100, 100, 100, 100, 100, 5000, 5000, 5000, 5000] }).verdict,
    ).toBe('pass');
  });

  it('judges the quarantine rate against its thresholds', () => {
    expect(check('quarantine_rate', { quarantined: 9 }).verdict).toBe('pass');
    expect(check('quarantine_rate', { quarantined: 10 })).toMatchObject({ verdict: 'warn', figures: { pct: 1 } });
    expect(check('quarantine_rate', { quarantined: 50 })).toMatchObject({
      verdict: 'fail',
      reason: '50 of 1000 rows quarantined (5%)',
    });
  });

  it('judges the null rate of key fields over the valid rows', () => {
    expect(check('null_rate', { quarantined: 200, nullKeys: 39 }).verdict).toBe('pass');
    expect(check('null_rate', { quarantined: 200, nullKeys: 40 })).toMatchObject({
      verdict: 'warn',
      figures: { rows: 800, pct: 5 },
    });
    expect(check('null_rate', { nullKeys: 200 }).verdict).toBe('fail');
  });
});
