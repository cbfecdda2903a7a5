"""Reference figures for cohortflow's experiment statistics, computed by SciPy and statsmodels.

Writes test/fixtures/reference/experiments.json: every input next to the figure the reference
library gives for it. test/unit/experiment-statistics-reference.test.ts compares cohortflow's
own implementation with these figures. Run it again (and commit the result) only when a case
is added:

    python3 -m venv .tools/reference-py && .tools/reference-py/bin/pip install -r scripts/reference/requirements.txt
    .tools/reference-py/bin/python scripts/reference/experiments.py
"""

import hashlib
import json
import math
import pathlib
import sys

import mpmath
import numpy as np
import scipy
import statsmodels
from scipy import integrate, special, stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    power_proportions_2indep,
    proportions_ztest,
    samplesize_proportions_2indep_onetail,
)

mpmath.mp.dps = 50

OUT = pathlib.Path(__file__).resolve().parents[2] / "test" / "fixtures" / "reference" / "experiments.json"


def f(x):
    """A plain float (JSON keeps every digit of a float's repr), or None for NaN."""
    x = float(x)
    return None if math.isnan(x) else x


def mp_t_two_sided(t, df):
    """P(|T| >= |t|) = I_{df/(df+t^2)}(df/2, 1/2), at 50 digits."""
    t, df = mpmath.mpf(t), mpmath.mpf(df)
    return mpmath.betainc(df / 2, mpmath.mpf(1) / 2, 0, df / (df + t * t), regularized=True)


def mp_t_cdf(t, df):
    half = mp_t_two_sided(t, df) / 2
    return half if t < 0 else 1 - half


def distributions():
    """SciPy's figures, and beside them (as "mp") the same functions at 50 significant digits by
    mpmath: SciPy's own double-precision routines lose digits in places (ln B(1e5, 1/2) is off by
    1e-11 relative), so cohortflow is held to the exact value there too."""
    normal_p = [1e-300, 1e-12, 1e-6, 0.0005, 0.005, 0.025, 0.05, 0.1, 0.2, 0.5, 0.8, 0.9, 0.95, 0.975, 0.995, 0.9995]
    normal_x = [-37.5, -20.0, -8.0, -3.0, -1.959963984540054, -1.0, -0.1, 0.0, 0.3, 1.0, 1.96, 3.0, 8.0]
    t_points = [(0.5, 1), (-3.0, 1), (2.0, 2.5), (-1.3, 7.3), (2.1, 30), (3.5, 123.45), (-2.0, 1e4),
                (1.5, 1e6), (10.0, 5), (40.0, 3), (0.001, 50), (6.0, 2000.5), (12.0, 80)]
    t_quantiles = [(0.975, 1), (0.975, 2.5), (0.975, 7.3), (0.975, 30), (0.975, 123.45), (0.975, 1e4),
                   (0.975, 1e6), (0.995, 3), (0.9995, 12.7), (0.025, 18.9), (0.2, 4), (0.5, 9), (1e-8, 15)]
    chi2_points = [(0.1, 1), (3.841458820694124, 1), (5.991, 2), (11.07, 5), (30.0, 15), (200.0, 3),
                   (2.5, 0.5), (1000.0, 999), (1500.0, 999), (0.0001, 4)]
    chi2_quantiles = [(0.95, 1), (0.99, 1), (0.999, 1), (0.95, 2), (0.999, 4), (0.05, 10), (0.5, 3),
                      (0.9999, 50), (1e-6, 2), (0.95, 999)]
    beta_points = [(2.0, 3.0, 0.4), (0.5, 0.5, 0.9), (25.0, 0.5, 0.93), (5000.0, 0.5, 0.999),
                   (0.5, 5000.0, 1e-4), (300.0, 400.0, 0.43), (1e5, 0.5, 0.99999), (12.5, 17.25, 0.7)]
    return {
        "normal_cdf": [{"x": x, "cdf": f(stats.norm.cdf(x)), "sf": f(stats.norm.sf(x)), "mp_cdf": f(mpmath.ncdf(x))}
                       for x in normal_x],
        "normal_quantile": [{"p": p, "x": f(stats.norm.ppf(p))} for p in normal_p],
        "t_cdf": [
            {"t": t, "df": df, "cdf": f(stats.t.cdf(t, df)), "sf": f(stats.t.sf(t, df)),
             "two_sided_p": f(2 * stats.t.sf(abs(t), df)), "pdf": f(stats.t.pdf(t, df)),
             "mp_two_sided_p": f(mp_t_two_sided(t, df)), "mp_cdf": f(mp_t_cdf(t, df))}
            for t, df in t_points
        ],
        "t_quantile": [{"p": p, "df": df, "t": f(stats.t.ppf(p, df))} for p, df in t_quantiles],
        "chi2_sf": [{"x": x, "df": df, "cdf": f(stats.chi2.cdf(x, df)), "sf": f(stats.chi2.sf(x, df)),
                     "mp_sf": f(mpmath.gammainc(mpmath.mpf(df) / 2, mpmath.mpf(x) / 2, mpmath.inf, regularized=True))}
                    for x, df in chi2_points],
        "chi2_quantile": [{"p": p, "df": df, "x": f(stats.chi2.ppf(p, df))} for p, df in chi2_quantiles],
        "incomplete_beta": [{"a": a, "b": b, "x": x, "value": f(special.betainc(a, b, x)),
                             "ln_beta": f(special.betaln(a, b)),
                             "mp_value": f(mpmath.betainc(a, b, 0, x, regularized=True)),
                             "mp_ln_beta": f(mpmath.log(mpmath.beta(a, b)))} for a, b, x in beta_points],
    }


def proportions():
    # (control successes, control n, treatment successes, treatment n, alpha)
    cases = [(50, 1000, 65, 1000, 0.05), (120, 2400, 150, 2600, 0.05), (30, 10000, 60, 90000, 0.05),
             (480, 5000, 452, 5000, 0.05), (3, 40, 9, 45, 0.10), (1000, 20000, 1100, 20000, 0.01),
             (0, 200, 4, 210, 0.05), (7, 150, 7, 150, 0.05)]
    out = []
    for xc, nc, xt, nt, alpha in cases:
        z, p = proportions_ztest([xt, xc], [nt, nc])
        low, upp = confint_proportions_2indep(xt, nt, xc, nc, method="wald", compare="diff", alpha=alpha)
        case = {"control": {"n": nc, "successes": xc}, "treatment": {"n": nt, "successes": xt}, "alpha": alpha,
                "z": f(z), "p_value": f(p), "diff_ci": [f(low), f(upp)], "relative_ci": None}
        if xc > 0 and xt > 0:
            rlow, rupp = confint_proportions_2indep(xt, nt, xc, nc, method="log", compare="ratio", alpha=alpha)
            case["relative_ci"] = [f(rlow - 1), f(rupp - 1)]
        out.append(case)
    return out


def welch():
    rng = np.random.default_rng(20261130)
    out = []
    # Revenue-like samples: most members spend nothing, the rest a log-normal amount.
    for nc, nt, pc, pt, alpha in [(60, 75, 0.3, 0.4, 0.05), (400, 380, 0.1, 0.12, 0.05),
                                  (25, 300, 0.5, 0.5, 0.10), (1500, 1500, 0.05, 0.07, 0.01)]:
        control = np.where(rng.random(nc) < pc, rng.lognormal(3.0, 1.0, nc), 0.0)
        treatment = np.where(rng.random(nt) < pt, rng.lognormal(3.1, 1.0, nt), 0.0)
        res = stats.ttest_ind(treatment, control, equal_var=False)
        ci = res.confidence_interval(1 - alpha)
        mc, mt = control.mean(), treatment.mean()
        vc, vt = control.var(ddof=1), treatment.var(ddof=1)
        # The relative interval is a formula, not a library call: delta method on ln(mt / mc).
        se = math.sqrt(vt / (nt * mt**2) + vc / (nc * mc**2))
        z = stats.norm.isf(alpha / 2)
        out.append({
            "control": {"n": nc, "mean": f(mc), "variance": f(vc)},
            "treatment": {"n": nt, "mean": f(mt), "variance": f(vt)},
            "alpha": alpha, "t": f(res.statistic), "df": f(res.df), "p_value": f(res.pvalue),
            "diff_ci": [f(ci.low), f(ci.high)],
            "relative_ci": [f(math.exp(math.log(mt / mc) - z * se) - 1), f(math.exp(math.log(mt / mc) + z * se) - 1)],
        })
    # Summaries only, at sizes no one would write out as samples.
    for (nc, mc, sc), (nt, mt, st) in [((2_000_000, 10.0, 40.0), (2_000_000, 10.1, 41.0)),
                                       ((50_000, 3.2, 9.5), (450_000, 3.25, 9.9))]:
        res = stats.ttest_ind_from_stats(mt, st, nt, mc, sc, nc, equal_var=False)
        out.append({"control": {"n": nc, "mean": mc, "variance": f(sc**2)},
                    "treatment": {"n": nt, "mean": mt, "variance": f(st**2)},
                    "alpha": 0.05, "t": f(res.statistic), "p_value": f(res.pvalue)})
    return out


def srm():
    cases = [([5000, 5000], [0.5, 0.5]), ([5120, 4880], [0.5, 0.5]), ([1043, 8957], [0.1, 0.9]),
             ([1180, 8820], [0.1, 0.9]), ([3400, 3300, 3250], [1 / 3, 1 / 3, 1 / 3]),
             ([100, 460, 440], [0.1, 0.45, 0.45]), ([7, 13], [0.5, 0.5])]
    out = []
    for observed, shares in cases:
        total = sum(observed)
        expected = [s * total for s in shares]
        res = stats.chisquare(observed, expected)
        out.append({"observed": observed, "shares": shares, "statistic": f(res.statistic), "p_value": f(res.pvalue)})
    return out


def sample_size():
    # (baseline rate, mde, alpha, power, control per treatment member)
    cases = [(0.05, 0.01, 0.05, 0.8, 1), (0.05, 0.01, 0.05, 0.9, 1), (0.2, -0.02, 0.05, 0.8, 1),
             (0.05, 0.01, 0.05, 0.8, 1 / 9), (0.01, 0.002, 0.01, 0.8, 1), (0.5, 0.05, 0.10, 0.95, 0.5)]
    out = []
    for base, mde, alpha, power, ratio in cases:
        n = samplesize_proportions_2indep_onetail(mde, base, power, ratio=ratio, alpha=alpha, alternative="two-sided")
        nt, nc = math.ceil(n), math.ceil(n * ratio)
        achieved = power_proportions_2indep(mde, base, nt, ratio=nc / nt, alpha=alpha, alternative="two-sided",
                                            return_results=False)
        out.append({"baseline_rate": base, "mde": mde, "alpha": alpha, "power": power, "control_per_treatment": ratio,
                    "exact_treatment": f(n), "treatment": nt, "control": nc, "achieved_power": f(achieved)})
    return out


def probability_best():
    """P(arm i has the highest rate) under independent Beta(1 + s, 1 + f) posteriors, by quadrature."""
    cases = [[(10, 90), (20, 80)], [(50, 950), (60, 940), (45, 955)], [(3, 7), (3, 7)], [(0, 30), (1, 29), (2, 28)]]
    out = []
    for arms in cases:
        dists = [stats.beta(1 + s, 1 + fl) for s, fl in arms]
        probs = []
        for i, di in enumerate(dists):
            others = [d for j, d in enumerate(dists) if j != i]
            value, _ = integrate.quad(lambda x: di.pdf(x) * np.prod([d.cdf(x) for d in others]), 0, 1,
                                      epsabs=1e-13, epsrel=1e-12, limit=500)
            probs.append(f(value))
        out.append({"arms": [{"successes": s, "failures": fl} for s, fl in arms], "probability_best": probs,
                    "posterior_mean": [f(d.mean()) for d in dists]})
    return out


def assignment_buckets():
    """The documented bucket: the first 52 bits of SHA-256(salt ":" customer id) divided by 2^52."""
    pairs = [("Xk3v9QpL2m", "crm_000042"), ("Xk3v9QpL2m", "crm_000043"), ("winback-2026", "crm_000042"),
             ("winback-2026", "prod_u_9f1c"), ("s4lt_with-dash", "billing:cus_K1"), ("s4lt_with-dash", "über@example.com")]
    out = []
    for salt, customer in pairs:
        digest = hashlib.sha256(f"{salt}:{customer}".encode("utf-8")).hexdigest()
        out.append({"salt": salt, "customer_id": customer, "bucket": int(digest[:13], 16) / 2**52})
    return out


def main():
    fixture = {
        "generator": "scripts/reference/experiments.py",
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, "scipy": scipy.__version__,
                     "statsmodels": statsmodels.__version__, "mpmath": mpmath.__version__},
        "distributions": distributions(),
        "proportions": proportions(),
        "welch": welch(),
        "sample_ratio_mismatch": srm(),
        "sample_size": sample_size(),
        "probability_best": probability_best(),
        "assignment_buckets": assignment_buckets(),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, indent=1, allow_nan=False) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
