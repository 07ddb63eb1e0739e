"""A churn model's monitoring log: the training period and twelve weeks in production, with drift.

Used by 22_monitoring_drift. Week 0 is the training period (4,000 customers); weeks 1-12 are
production batches of 600 scored customers whose labels (``churned``) arrived later. What changes,
on purpose:

- ``customer_age`` and ``tenure_months`` stay stable: the controls;
- ``monthly_spend`` creeps up by 4 % a week from week 5 (a price rise): gradual drift that a
  week-over-week comparison misses;
- ``support_calls`` jumps in week 8 (an outage) and stays high: sudden drift;
- ``plan`` moves towards premium from week 10 (a campaign): categorical drift;
- from week 9 a competitor's offer changes who churns: long-standing customers on the basic plan
  leave too, so the old model's quality drops (concept drift, invisible in the features alone).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FILES = ("monitoring_log.csv",)
SEED = 20240522
PLANS = np.array(["basic", "standard", "premium"])


def _batch(rng: np.random.Generator, week: int, n: int) -> pd.DataFrame:
    age = np.clip(rng.normal(42, 12, n), 18, 85).round()
    tenure = np.clip(rng.gamma(2.0, 12.0, n), 1, 120).round()
    spend_scale = 1.0 + 0.04 * max(0, week - 4)
    spend = np.round(rng.lognormal(np.log(45.0), 0.45, n) * spend_scale, 2)
    calls = rng.poisson(2.6 if week >= 8 else 1.2, n)
    plan_p = [0.35, 0.35, 0.30] if week >= 10 else [0.50, 0.35, 0.15]
    plan = rng.choice(PLANS, n, p=plan_p)
    basic = (plan == "basic").astype(float)
    premium = (plan == "premium").astype(float)
    # The churn mechanism the model learns in week 0 ...
    logit = (
        -1.1
        + 0.55 * (calls - 1.2)
        - 0.045 * (tenure - 24)
        + 0.7 * basic
        - 0.5 * premium
        + 0.015 * (age - 42)
        - 0.3 * np.log(spend / 45.0)
    )
    if week >= 9:
        # ... and the competitor's offer: loyal basic-plan customers leave, calls matter less.
        logit = logit - 0.3 * (calls - 2.6) + 0.07 * (tenure - 24) * basic + 1.2 * basic - 0.6
    churned = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {
            "week": week,
            "customer_age": age.astype(int),
            "tenure_months": tenure.astype(int),
            "monthly_spend": spend,
            "support_calls": calls,
            "plan": plan,
            "churned": churned,
        }
    )


def generate(folder: Path) -> None:
    rng = np.random.default_rng(SEED)
    frames = [_batch(rng, 0, 4000)] + [_batch(rng, week, 600) for week in range(1, 13)]
    log = pd.concat(frames, ignore_index=True)
    log.to_csv(folder / "monitoring_log.csv", index=False, lineterminator="\n")
