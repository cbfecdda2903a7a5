import fixture from '../fixtures/reference/experiments.json';
import { expectRelativelyClose } from '../support/close-to';
import { chiSquareCdf, chiSquarePValue, chiSquareQuantile } from '../../src/experiments/statistics/chi-square';
import { lnBeta, regularizedBeta } from '../../src/experiments/statistics/incomplete-beta';
import { compareMeans } from '../../src/experiments/statistics/means';
import { normalCdf, normalQuantile, normalSf } from '../../src/experiments/statistics/normal';
import { compareProportions } from '../../src/experiments/statistics/proportions';
import { sampleRatioMismatch } from '../../src/experiments/statistics/sample-ratio';
import { sampleSizeTwoProportions } from '../../src/experiments/statistics/sample-size';
import {
  studentTCdf,
  studentTPdf,
  studentTQuantile,
  studentTSf,
  twoSidedTP,
} from '../../src/experiments/statistics/student-t';

// Every expected figure here was computed by SciPy or statsmodels (scripts/reference/experiments.py
// writes the fixture). The formulas are closed forms or converge to machine precision, so the
// agreement asked for is 1e-9 relative throughout. The special functions are also held to
// mpmath's 50-digit values at 1e-12: closer than SciPy itself gets in places.
const TOLERANCE = 1e-9;
const EXACT_TOLERANCE = 1e-12;
const d = fixture.distributions;

describe('the distributions, against SciPy', () => {
  it.each(d.normal_cdf)('normal CDF and upper tail at $x', ({ x, cdf, sf, mp_cdf }) => {
    expectRelativelyClose(normalCdf(x), cdf, TOLERANCE, `Φ(${x})`);
    expectRelativelyClose(normalCdf(x), mp_cdf, EXACT_TOLERANCE, `Φ(${x}), 50 digits`);
    expectRelativelyClose(normalSf(x), sf, TOLERANCE, `1 − Φ(${x})`);
  });

  it.each(d.normal_quantile)('normal quantile at p = $p', ({ p, x }) => {
    expectRelativelyClose(normalQuantile(p), x, TOLERANCE, `Φ⁻¹(${p})`);
  });

  it.each(d.t_cdf)('t CDF, tail, two-sided p and density at t = $t, df = $df', (c) => {
    expectRelativelyClose(studentTCdf(c.t, c.df), c.cdf, TOLERANCE, `T_${c.df}(${c.t})`);
    expectRelativelyClose(studentTSf(c.t, c.df), c.sf, TOLERANCE, `1 − T_${c.df}(${c.t})`);
    expectRelativelyClose(twoSidedTP(c.t, c.df), c.two_sided_p, TOLERANCE, `P(|T| ≥ ${c.t})`);
    expectRelativelyClose(studentTPdf(c.t, c.df), c.pdf, TOLERANCE, `t density`);
    expectRelativelyClose(twoSidedTP(c.t, c.df), c.mp_two_sided_p, EXACT_TOLERANCE, `P(|T| ≥ ${c.t}), 50 digits`);
    expectRelativelyClose(studentTCdf(c.t, c.df), c.mp_cdf, EXACT_TOLERANCE, `T_${c.df}(${c.t}), 50 digits`);
  });

  it.each(d.t_quantile)('t quantile at p = $p, df = $df', ({ p, df, t }) => {
    expectRelativelyClose(studentTQuantile(p, df), t, TOLERANCE, `t quantile`);
  });

  it.each(d.chi2_sf)('chi-square CDF and tail at x = $x, df = $df', ({ x, df, cdf, sf, mp_sf }) => {
    expectRelativelyClose(chiSquareCdf(x, df), cdf, TOLERANCE, `χ² CDF`);
    expectRelativelyClose(chiSquarePValue(x, df), sf, TOLERANCE, `χ² tail`);
    expectRelativelyClose(chiSquarePValue(x, df), mp_sf, EXACT_TOLERANCE, `χ² tail, 50 digits`);
  });

  it.each(d.chi2_quantile)('chi-square quantile at p = $p, df = $df', ({ p, df, x }) => {
    expectRelativelyClose(chiSquareQuantile(p, df), x, TOLERANCE, `χ² quantile`);
  });

  it.each(d.incomplete_beta)('incomplete beta and ln B at a = $a, b = $b, x = $x', (c) => {
    expectRelativelyClose(regularizedBeta(c.x, c.a, c.b), c.value, TOLERANCE, `I_x(a, b)`);
    expectRelativelyClose(lnBeta(c.a, c.b), c.ln_beta, TOLERANCE, `ln B(a, b)`);
    expectRelativelyClose(regularizedBeta(c.x, c.a, c.b), c.mp_value, EXACT_TOLERANCE, `I_x(a, b), 50 digits`);
    expectRelativelyClose(lnBeta(c.a, c.b), c.mp_ln_beta, EXACT_TOLERANCE, `ln B(a, b), 50 digits`);
  });
});

describe('the two-proportion comparison, against statsmodels', () => {
  it.each(fixture.proportions)(
    'control $control.successes/$control.n, treatment $treatment.successes/$treatment.n',
    (c) => {
      const r = compareProportions(c.control, c.treatment, c.alpha);
      expectRelativelyClose(r.z, c.z, TOLERANCE, 'pooled z (proportions_ztest)');
      expectRelativelyClose(r.pValue, c.p_value, TOLERANCE, 'p-value (proportions_ztest)');
      expectRelativelyClose(r.absoluteLiftInterval.lower, c.diff_ci[0]!, TOLERANCE, 'difference CI lower (wald)');
      expectRelativelyClose(r.absoluteLiftInterval.upper, c.diff_ci[1]!, TOLERANCE, 'difference CI upper (wald)');
      if (c.relative_ci === null) expect(r.relativeLiftInterval).toBeNull();
      else {
        expectRelativelyClose(r.relativeLiftInterval!.lower, c.relative_ci[0]!, TOLERANCE, 'relative CI lower (log)');
        expectRelativelyClose(r.relativeLiftInterval!.upper, c.relative_ci[1]!, TOLERANCE, 'relative CI upper (log)');
      }
    },
  );
});

describe("Welch's t test, against SciPy", () => {
  it.each(fixture.welch)('control n=$control.n, treatment n=$treatment.n', (c: any) => {
    const r = compareMeans(c.control, c.treatment, c.alpha);
    expectRelativelyClose(r.t, c.t, TOLERANCE, 't statistic');
    expectRelativelyClose(r.pValue, c.p_value, TOLERANCE, 'p-value');
    if (c.df !== undefined) expectRelativelyClose(r.degreesOfFreedom, c.df, TOLERANCE, 'Welch–Satterthwaite df');
    if (c.diff_ci) {
      expectRelativelyClose(r.absoluteLiftInterval!.lower, c.diff_ci[0], TOLERANCE, 'difference CI lower');
      expectRelativelyClose(r.absoluteLiftInterval!.upper, c.diff_ci[1], TOLERANCE, 'difference CI upper');
      expectRelativelyClose(r.relativeLiftInterval!.lower, c.relative_ci[0], TOLERANCE, 'relative CI lower');
      expectRelativelyClose(r.relativeLiftInterval!.upper, c.relative_ci[1], TOLERANCE, 'relative CI upper');
    }
  });
});

describe('the sample ratio mismatch check, against scipy.stats.chisquare', () => {
  it.each(fixture.sample_ratio_mismatch)(
    'observed $observed for shares $shares',
    ({ observed, shares, statistic, p_value }) => {
      const names = observed.map((_, i) => `arm${i}`);
      const check = sampleRatioMismatch(
        Object.fromEntries(names.map((n, i) => [n, observed[i]!])),
        Object.fromEntries(names.map((n, i) => [n, shares[i]!])),
      );
      expectRelativelyClose(check.statistic, statistic, TOLERANCE, 'χ² statistic');
      expectRelativelyClose(check.pValue, p_value, TOLERANCE, 'p-value');
      expect(check.mismatch).toBe(p_value < 0.001);
    },
  );
});

describe('the sample size for two proportions, against statsmodels', () => {
  it.each(fixture.sample_size)(
    'baseline $baseline_rate, mde $mde, alpha $alpha, power $power, control per treatment $control_per_treatment',
    (c) => {
      const plan = sampleSizeTwoProportions({
        baselineRate: c.baseline_rate,
        mde: c.mde,
        alpha: c.alpha,
        power: c.power,
        controlPerTreatment: c.control_per_treatment,
      });
      expectRelativelyClose(plan.exactTreatment, c.exact_treatment, TOLERANCE, 'samplesize_proportions_2indep_onetail');
      expect([plan.treatment, plan.control]).toEqual([c.treatment, c.control]);
      expectRelativelyClose(plan.achievedPower, c.achieved_power, TOLERANCE, 'power_proportions_2indep');
    },
  );
});
