"""A telecom operator's customers and whether they left (churned) in the following quarter.

Used by the production-ML notebooks (pipelines and serving, MLflow, Spark ML). Two files:

- ``telecom_churn.csv``: the training table, 3 000 customers. ``account_status`` is recorded at
  the *end* of the quarter, after the outcome, so it leaks the label on purpose (a trap for the
  leakage exercises); every other column is known when a prediction is made.
- ``telecom_serving_log.csv``: 600 new customers as the online endpoint received them, with the
  outcome joined later. The serving code has two bugs on purpose (training-serving skew):
  ``monthly_charges`` arrives in cents instead of euros and ``plan`` arrives capitalised.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FILES = ("telecom_churn.csv", "telecom_serving_log.csv")
SEED = 20240619
PLANS = {"basic": 25.0, "standard": 55.0, "premium": 95.0}


def _customers(rng: np.random.Generator, n: int, first_id: int) -> pd.DataFrame:
    plan = rng.choice(list(PLANS), n, p=[0.5, 0.3, 0.2])
    contract = rng.choice(["monthly", "annual", "two_year"], n, p=[0.55, 0.25, 0.20])
    region = rng.choice(["north", "south", "east", "west"], n, p=[0.3, 0.25, 0.25, 0.2])
    tenure = np.clip(rng.gamma(2.0, 14.0, n).round(), 1, 72).astype(int)
    base = np.array([PLANS[p] for p in plan])
    data_gb = np.round(rng.gamma(2.0, base / 12.0), 1)
    charges = np.round(base + 0.35 * data_gb + rng.normal(0, 4.0, n), 2)
    support_calls = rng.poisson(1.2, n)
    logit = (
        -1.6
        + 1.3 * (contract == "monthly")
        - 0.9 * (contract == "two_year")
        - 0.045 * tenure
        + 0.025 * (charges - 50.0)
        + 0.45 * support_calls
        + 0.4 * (plan == "basic")
        + 0.2 * (region == "south")
    )
    churned = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    # Recorded after the quarter: almost a copy of the label (leakage on purpose).
    closed = np.where(churned == 1, rng.random(n) < 0.93, rng.random(n) < 0.02)
    return pd.DataFrame(
        {
            "customer_id": np.arange(first_id, first_id + n),
            "plan": plan,
            "contract": contract,
            "region": region,
            "tenure_months": tenure,
            "monthly_charges": charges,
            "data_gb": data_gb,
            "support_calls": support_calls,
            "account_status": np.where(closed, "closed", "active"),
            "churned": churned,
        }
    )


def generate(folder: Path) -> None:
    rng = np.random.default_rng(SEED)
    train = _customers(rng, 3000, 100001)
    serving = _customers(rng, 600, 200001).drop(columns="account_status")
    serving["monthly_charges"] = np.round(serving["monthly_charges"] * 100).astype(int)  # cents
    serving["plan"] = serving["plan"].str.capitalize()
    train.to_csv(folder / "telecom_churn.csv", index=False, lineterminator="\n")
    serving.to_csv(folder / "telecom_serving_log.csv", index=False, lineterminator="\n")
