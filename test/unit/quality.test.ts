import { qualityChecks } from '../../src/ingest/quality';
import { QualityThresholds } from '../../src/sources/config';

const t = QualityThresholds.parse({});
const now = new Date('2026-11-21T00:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);
const check = (name: string, o: Partial<Parameters<typeof qualityChecks>[0]>) =>
  qualityChecks(
    { rowsRead: 1000, quarantined: 0, nullKeys: 0, newest: hoursAgo(1), days: 1, history: [], now, ...o },
    t,
  ).find((c) => c.name === name)!;

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

  /** Earlier ingests of `rows` each over one day of data. */
  const daily = (...rows: number[]) => rows.map((r) => ({ rows: r, days: 1 }));

  it('compares rows per day of data with the median of the trailing ingests', () => {
    expect(check('volume', { rowsRead: 1000, history: [] })).toMatchObject({
      verdict: 'pass',
      figures: { median: null },
    });
    expect(check('volume', { rowsRead: 1490, history: daily(1000, 900, 1100) })).toMatchObject({
      verdict: 'pass',
      figures: { median: 1000, deviationPct: 49 },
    });
    expect(check('volume', { rowsRead: 500, history: daily(1000, 900, 1100) })).toMatchObject({
      verdict: 'warn',
      figures: { deviationPct: 50 },
    });
    expect(check('volume', { rowsRead: 50, history: daily(1000, 900, 1100, 1000) })).toMatchObject({
      verdict: 'fail',
      figures: { median: 1000, deviationPct: 95 },
    });
  });

  it('judges a month of data against a first load of three months by rows per day', () => {
    const monthly = check('volume', { rowsRead: 20_000, days: 30, history: [{ rows: 60_000, days: 90 }] });
    expect(monthly).toMatchObject({
      verdict: 'pass',
      figures: { rowsPerDay: 666.67, median: 666.67, deviationPct: 0 },
    });
    expect(monthly.reason).toBe(
      '20000 valid rows over 30 days of data (666.67 a day) vs a median of 666.67 a day over the last 1 ingests with rows (0% off)',
    );
    expect(check('volume', { rowsRead: 20_000, days: 30, history: [{ rows: 20_000, days: 3 }] }).verdict).toBe('fail');
  });

  it('passes an ingest that brought no new rows: the cohorts are computed over the data there is', () => {
    expect(check('volume', { rowsRead: 0, days: null, history: daily(1000, 900, 1100) })).toMatchObject({
      verdict: 'pass',
      reason: 'no new valid rows in this ingest; cohorts are computed over the data already stored',
    });
  });

  it('says how old the newest data is when an ingest brought nothing', () => {
    expect(check('freshness', { rowsRead: 0, newest: hoursAgo(72) })).toMatchObject({
      verdict: 'warn',
      reason:
        'newest data (2026-11-18T00:00:00.000Z) is 3 days old; this ingest brought no new rows (warn at 2 days, fail at 7 days)',
      figures: { ageHours: 72, newest: '2026-11-18T00:00:00.000Z' },
    });
  });

  it('judges freshness by the maximum age configured for the source', () => {
    const hourly = QualityThresholds.parse({ freshnessWarnHours: 2, freshnessFailHours: 6 });
    const age = (h: number) =>
      qualityChecks(
        { rowsRead: 10, quarantined: 0, nullKeys: 0, newest: hoursAgo(h), days: 1, history: [], now },
        hourly,
      ).find((c) => c.name === 'freshness')!.verdict;
    expect([age(1), age(3), age(7)]).toEqual(['pass', 'warn', 'fail']);
  });

  it('takes only the configured number of trailing ingests', () => {
    expect(
      check('volume', { rowsRead: 100, history: daily(100, 100, 100, 100, 100, 100, 5000, 5000, 5000, 5000) }).verdict,
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
