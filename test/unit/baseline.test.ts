import { minSizeCheck, sizeShiftCheck } from '../../src/baseline/size-checks';
import { worstVerdict as worst } from '../../src/ingest/verdicts';
import { CohortChecks } from '../../src/cohorts/definition';

const checks = CohortChecks.parse({ minSize: 10, sizeShiftWarnPct: 20, sizeShiftFailPct: 50 });

describe('the minimum size check', () => {
  it('passes a cohort exactly at the minimum', () => {
    expect(minSizeCheck(10, checks)).toMatchObject({
      name: 'min_size',
      verdict: 'pass',
      figures: { size: 10 },
      thresholds: { minSize: 10 },
    });
  });

  it('fails a cohort one member below the minimum, saying so', () => {
    const result = minSizeCheck(9, checks);

    expect(result.verdict).toBe('fail');
    expect(result.reason).toBe('only 9 members, below the minimum of 10');
  });

  it('passes an empty cohort when the minimum is zero', () => {
    expect(minSizeCheck(0, CohortChecks.parse({ minSize: 0 })).verdict).toBe('pass');
  });
});

describe('the size shift check', () => {
  it('passes the first publish, with no baseline, and reports null figures', () => {
    expect(sizeShiftCheck(1234, null, checks)).toEqual({
      name: 'size_shift',
      verdict: 'pass',
      reason: 'first publish: no baseline to compare with yet',
      figures: { size: 1234, previous: null, shiftPct: null, change: null },
      thresholds: { warnPct: 20, failPct: 50 },
    });
  });

  it('passes a shift just below warnPct', () => {
    expect(sizeShiftCheck(1199, 1000, checks).verdict).toBe('pass');
  });

  it('warns on a growth of exactly warnPct', () => {
    expect(sizeShiftCheck(120, 100, checks)).toMatchObject({
      verdict: 'warn',
      figures: { size: 120, previous: 100, shiftPct: 20 },
    });
  });

  it('warns on a shrink of exactly warnPct', () => {
    expect(sizeShiftCheck(80, 100, checks).verdict).toBe('warn');
  });

  it('warns on a shift just below failPct', () => {
    expect(sizeShiftCheck(1499, 1000, checks).verdict).toBe('warn');
  });

  it('fails a shift of exactly failPct', () => {
    expect(sizeShiftCheck(150, 100, checks).verdict).toBe('fail');
    expect(sizeShiftCheck(50, 100, checks).verdict).toBe('fail');
  });

  it('says which way the cohort moved and by how much', () => {
    expect(sizeShiftCheck(75, 100, checks).reason).toBe('shrank 25% (100 → 75); warn at 20%, fail at 50%');
    expect(sizeShiftCheck(3, 2, checks).reason).toBe('grew 50% (2 → 3); warn at 20%, fail at 50%');
  });

  it('rounds the reported shift to one decimal', () => {
    expect(sizeShiftCheck(4, 3, checks).figures.shiftPct).toBe(33.3);
  });

  it('treats growth from an empty baseline as a 100% shift', () => {
    expect(sizeShiftCheck(5, 0, checks)).toMatchObject({ verdict: 'fail', figures: { shiftPct: 100 } });
  });

  it('passes an empty cohort that was empty before', () => {
    expect(sizeShiftCheck(0, 0, checks)).toMatchObject({ verdict: 'pass', figures: { shiftPct: 0 } });
  });

  it('warns on a shift of exactly warnPct when the percentage is not a binary fraction', () => {
    const at29 = CohortChecks.parse({ sizeShiftWarnPct: 29, sizeShiftFailPct: 57 });

    expect(sizeShiftCheck(129, 100, at29).verdict).toBe('warn');
    expect(sizeShiftCheck(157, 100, at29).verdict).toBe('fail');
  });
});

describe('the worst verdict', () => {
  it('is pass when there are no verdicts', () => {
    expect(worst([])).toBe('pass');
  });

  it('is warn when the worst is a warning', () => {
    expect(worst(['pass', 'warn', 'pass'])).toBe('warn');
  });

  it('is fail when any check fails, whatever the order', () => {
    expect(worst(['fail', 'warn'])).toBe('fail');
    expect(worst(['pass', 'warn', 'fail'])).toBe('fail');
  });
});
