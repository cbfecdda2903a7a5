"""Reference figures for cohortflow's propensity models (L2 logistic regression, time split).

Draws a synthetic subscription book (seeded, so the fixture never changes) of customers at
eight monthly asOf points with their measures and two labels (churned / upgraded within the
horizon), then does independently what cohortflow's trainer must do: split by asOf, encode and
standardise the features, fit scikit-learn's LogisticRegression with C = 1 / λ, and score the
validation rows (AUC, Brier score, log loss, reliability table). Writes inputs and results.

    .tools/reference-py/bin/python scripts/reference/propensity.py test/fixtures/scores/propensity-reference.json
"""

import importlib.metadata
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

DAY_MS = 86_400_000
L2 = 2.0
VALIDATION_AS_OFS = 2
FEATURES = [
    {"kind": "numeric", "name": "recency_days"},
    {"kind": "numeric", "name": "frequency"},
    {"kind": "numeric", "name": "velocity"},
    {"kind": "numeric", "name": "support_intensity", "transform": "log1p"},
    {"kind": "numeric", "name": "failed_payments", "transform": "log1p"},
    {"kind": "numeric", "name": "tenure_days", "transform": "log1p"},
    {"kind": "category", "name": "plan"},
]
PLANS = ["enterprise", "free", "pro"]


def book(rng: np.random.Generator) -> pd.DataFrame:
    frames = []
    for month in range(1, 9):
        n = 300
        as_of = pd.Timestamp(f"2025-{month:02d}-01")
        plan = rng.choice(PLANS, size=n, p=[0.15, 0.5, 0.35])
        frequency = rng.binomial(30, rng.beta(2, 3, size=n))
        never_active = rng.random(n) < 0.08
        frequency[never_active] = 0
        recency = np.where(never_active, np.nan, rng.integers(0, 31, size=n) * (frequency < 10) + rng.integers(0, 5, size=n))
        velocity = np.where(rng.random(n) < 0.15, np.nan, np.round(rng.gamma(4, 0.25, size=n), 4))
        support = rng.poisson(0.6, size=n)
        failed = rng.poisson(0.2, size=n)
        tenure = rng.integers(0, 1000, size=n)
        plan_churn = np.select([plan == "free", plan == "enterprise"], [0.5, -0.7], 0.0)
        churn_logit = (
            -0.6 + 0.04 * np.nan_to_num(recency, nan=30) - 0.07 * frequency - 0.8 * (np.nan_to_num(velocity, nan=1) - 1)
            + 0.6 * failed + 0.3 * support - 0.3 * np.log1p(tenure) + plan_churn
        )
        plan_upgrade = np.select([plan == "free", plan == "enterprise"], [0.8, -2.0], 0.0)
        upgrade_logit = -2.4 + 0.06 * frequency + 0.25 * support - 0.5 * failed + plan_upgrade
        frames.append(
            pd.DataFrame(
                {
                    "asOf": int(as_of.value // 1_000_000),
                    "plan": plan,
                    "recency_days": recency,
                    "frequency": frequency.astype(float),
                    "velocity": velocity,
                    "support_intensity": support.astype(float),
                    "failed_payments": failed.astype(float),
                    "tenure_days": tenure.astype(float),
                    "churned": rng.random(n) < 1 / (1 + np.exp(-churn_logit)),
                    "upgraded": rng.random(n) < 1 / (1 + np.exp(-upgrade_logit)),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def split(data: pd.DataFrame, horizon_days: int):
    distinct = sorted(data["asOf"].unique())
    first_validation = distinct[-VALIDATION_AS_OFS]
    validation = data["asOf"] >= first_validation
    train = data["asOf"] + horizon_days * DAY_MS <= first_validation
    return train.to_numpy(), validation.to_numpy(), int((~train & ~validation).sum())


def encode(data: pd.DataFrame, train: np.ndarray):
    """Model columns learnt on the training rows: (name, values over all rows), standardised."""
    columns = []
    for spec in FEATURES:
        if spec["kind"] == "category":
            for level in sorted(data.loc[train, spec["name"]].unique()):
                columns.append((f"{spec['name']} = {level}", (data[spec["name"]] == level).to_numpy(float)))
            continue
        raw = data[spec["name"]].to_numpy(float)
        values = np.log1p(raw) if spec.get("transform") == "log1p" else raw
        missing = np.isnan(values)
        fill = values[train & ~missing].mean()
        columns.append((spec["name"], np.where(missing, fill, values)))
        if missing[train].any():
            columns.append((f"{spec['name']} (missing)", missing.astype(float)))
    out = []
    for name, values in columns:
        center = values[train].mean()
        scale = values[train].std()
        out.append((name, center, scale if scale > 0 else 1.0, (values - center) / (scale if scale > 0 else 1.0)))
    return out


def reference_for(data: pd.DataFrame, label: str, horizon_days: int) -> dict:
    train, validation, dropped = split(data, horizon_days)
    columns = encode(data, train)
    x = np.column_stack([c[3] for c in columns])
    y = data[label].to_numpy(int)
    model = LogisticRegression(C=1 / L2, solver="newton-cholesky", tol=1e-12, max_iter=1000)
    model.fit(x[train], y[train])
    predicted = model.predict_proba(x[validation])[:, 1]
    yv = y[validation]
    prob_true, prob_pred = calibration_curve(yv, predicted, n_bins=10, strategy="uniform")
    bin_rows = np.bincount(np.searchsorted(np.linspace(0, 1, 11)[1:-1], predicted), minlength=10)
    return {
        "label": label,
        "labelHorizonDays": horizon_days,
        "trainRows": int(train.sum()),
        "validationRows": int(validation.sum()),
        "droppedForLabelOverlap": dropped,
        "columns": [{"name": n, "center": float(c), "scale": float(s)} for n, c, s, _ in columns],
        "intercept": float(model.intercept_[0]),
        "weights": [float(w) for w in model.coef_[0]],
        "validation": {
            "probabilities": [float(p) for p in predicted],
            "auc": float(roc_auc_score(yv, predicted)),
            "brier": float(brier_score_loss(yv, predicted)),
            "logLoss": float(log_loss(yv, predicted)),
            "reliability": {
                "rows": [int(r) for r in bin_rows if r > 0],
                "meanPredicted": [float(p) for p in prob_pred],
                "observedRate": [float(p) for p in prob_true],
            },
        },
    }


def nullable(values) -> list:
    return [None if np.isnan(v) else float(v) for v in values]


def main() -> None:
    data = book(np.random.default_rng(20250101))
    numeric = [f["name"] for f in FEATURES if f["kind"] == "numeric"]
    reference = {
        "generatedBy": "scripts/reference/propensity.py",
        "versions": {p: importlib.metadata.version(p) for p in ["scikit-learn", "numpy", "pandas"]},
        "options": {"features": FEATURES, "l2": L2, "validationAsOfs": VALIDATION_AS_OFS},
        "rows": {
            "asOf": [int(t) for t in data["asOf"]],
            "plan": list(data["plan"]),
            **{name: nullable(data[name]) for name in numeric},
            "churned": [bool(v) for v in data["churned"]],
            "upgraded": [bool(v) for v in data["upgraded"]],
        },
        "churn": reference_for(data, "churned", 30),
        "upgrade": reference_for(data, "upgraded", 45),
    }
    Path(sys.argv[1]).write_text(json.dumps(reference) + "\n")


if __name__ == "__main__":
    main()
