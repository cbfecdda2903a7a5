"""Reference figures for cohortflow's purchasing models (BG/NBD, Gamma-Gamma, lifetime value).

Fits the models with the `lifetimes` package on its copy of the CDNOW sample (2,357 customers,
time in weeks) and writes, per customer, the values cohortflow must reproduce within 1e-6
relative at the same parameters. The CDNOW rows themselves are not written (their licence is
unclear, see test/fixtures/scores/README.md): the test reads them from the same wheel, checked
against the SHA-256 recorded here. Also summarises a small synthetic transaction log with
lifetimes' summary_data_from_transaction_data, for the transaction-to-history convention.

    .tools/reference-py/bin/python scripts/reference/purchasing.py test/fixtures/scores/purchasing-reference.json
"""

import hashlib
import importlib.metadata
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import lifetimes
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.datasets import load_cdnow_summary_data_with_monetary_value
from lifetimes.utils import summary_data_from_transaction_data

CDNOW_FILE = "cdnow_customers_summary_with_transactions.csv"
# CDNOW's time unit is the week; lifetimes counts 4.345 weeks in a month.
PURCHASES_WITHIN_WEEKS = 39.0
CLV_MONTHS = 12
CLV_MONTHLY_DISCOUNT = 0.01


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def floats(values) -> list:
    return [float(v) for v in np.asarray(values, dtype=float)]


def cdnow_reference() -> dict:
    data = load_cdnow_summary_data_with_monetary_value()
    bgf = BetaGeoFitter()
    bgf.fit(data["frequency"], data["recency"], data["T"])
    repeat = data[data["frequency"] > 0]
    ggf = GammaGammaFitter()
    ggf.fit(repeat["frequency"], repeat["monetary_value"])
    f, r, t, m = data["frequency"], data["recency"], data["T"], data["monetary_value"]
    return {
        "bgNbd": {k: float(bgf.params_[k]) for k in ["r", "alpha", "a", "b"]},
        "gammaGamma": {"p": float(ggf.params_["p"]), "q": float(ggf.params_["q"]), "gamma": float(ggf.params_["v"])},
        "horizons": {
            "purchasesWithin": PURCHASES_WITHIN_WEEKS,
            "lifetimeValue": {"months": CLV_MONTHS, "monthlyDiscountRate": CLV_MONTHLY_DISCOUNT, "timeUnitsPerMonth": 4.345},
        },
        "customers": {
            "id": [int(i) for i in data.index],
            "probabilityAlive": floats(bgf.conditional_probability_alive(f, r, t)),
            "expectedPurchases": floats(
                bgf.conditional_expected_number_of_purchases_up_to_time(PURCHASES_WITHIN_WEEKS, f, r, t)
            ),
            "expectedSpend": floats(ggf.conditional_expected_average_profit(f, m)),
            "lifetimeValue": floats(
                ggf.customer_lifetime_value(bgf, f, r, t, m, time=CLV_MONTHS, discount_rate=CLV_MONTHLY_DISCOUNT, freq="W")
            ),
        },
    }


def transaction_log() -> pd.DataFrame:
    """Forty customers, some buying twice on one day, some only after the observation end."""
    rng = np.random.default_rng(17)
    rows = []
    for customer in range(40):
        for _ in range(int(rng.integers(1, 9))):
            day = int(rng.integers(0, 120))
            rows.append((f"c{customer:02d}", pd.Timestamp("2025-01-01") + pd.Timedelta(days=day), round(float(rng.uniform(5, 200)), 2)))
    log = pd.DataFrame(rows, columns=["customer", "date", "value"])
    # lifetimes takes each customer's first row as the first purchase: sort by date first.
    return log.sort_values(["date", "customer"], kind="stable").reset_index(drop=True)


def transaction_summaries() -> dict:
    log = transaction_log()
    end = pd.Timestamp("2025-03-31")
    summary = summary_data_from_transaction_data(log, "customer", "date", "value", observation_period_end=end, freq="D")
    epoch = pd.Timestamp("1970-01-01")
    return {
        "asOfDay": (end - epoch).days,
        "purchases": [
            {"customer": c, "day": (d - epoch).days, "value": v} for c, d, v in log.itertuples(index=False)
        ],
        "summaries": {
            str(c): {k: float(row[k]) for k in ["frequency", "recency", "T", "monetary_value"]}
            for c, row in summary.iterrows()
        },
    }


def main() -> None:
    out = Path(sys.argv[1])
    datasets = Path(lifetimes.__file__).parent / "datasets"
    reference = {
        "generatedBy": "scripts/reference/purchasing.py",
        "versions": {p: importlib.metadata.version(p) for p in ["lifetimes", "numpy", "scipy", "pandas", "autograd"]},
        "cdnowSha256": sha256(datasets / CDNOW_FILE),
        **cdnow_reference(),
        "transactionLog": transaction_summaries(),
    }
    out.write_text(json.dumps(reference) + "\n")


if __name__ == "__main__":
    main()
