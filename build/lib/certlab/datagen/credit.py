"""Credit applications with a sensitive attribute and a bias built in, for responsible-AI practice.

Used by 23_responsible_ai. ``approved`` is the decision past loan officers made, and it carries
the bias a model would learn:

- ``group`` (A or B) stands for a protected attribute; B is the smaller group (about 35 %);
- structural gap: incomes in group B are lower on average;
- historical bias: for the same finances, officers approved group B less often (a direct penalty
  in the decision rule);
- proxy: ``district`` is strongly tied to the group, so a model that never sees ``group`` can
  still learn the penalty through it;
- ``ref_code`` is an internal reference number that carries no information at all (a trap for
  feature-importance methods evaluated on training data).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FILES = ("credit_applications.csv",)
SEED = 20240611


def generate(folder: Path) -> None:
    rng = np.random.default_rng(SEED)
    n = 5000
    group = rng.choice(np.array(["A", "B"]), n, p=[0.65, 0.35])
    b = group == "B"
    district = np.where(
        b,
        rng.choice(
            np.array(["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"]),
            n,
            p=[0.03, 0.03, 0.04, 0.05, 0.05, 0.25, 0.3, 0.25],
        ),
        rng.choice(
            np.array(["D1", "D2", "D3", "D4", "D5", "D6", "D7", "D8"]),
            n,
            p=[0.2, 0.2, 0.18, 0.16, 0.14, 0.05, 0.04, 0.03],
        ),
    )
    age = rng.integers(21, 71, n)
    income = np.round(rng.lognormal(np.log(np.where(b, 36.0, 44.0)), 0.4, n), 1)  # thousand EUR a year
    debt_ratio = np.round(rng.beta(2.0, 5.0, n), 3)
    years_employed = np.round(np.clip(rng.gamma(2.0, 3.0, n), 0, age - 18), 1)
    late_payments = rng.poisson(0.6, n)
    loan_amount = np.round(rng.lognormal(np.log(12.0), 0.5, n), 1)  # thousand EUR
    worth = (
        1.6 * np.log(income / 40.0)
        - 4.0 * (debt_ratio - 0.28)
        + 0.08 * (years_employed - 6.0)
        - 0.7 * late_payments
        - 0.9 * np.log(loan_amount / 12.0)
        + 0.01 * (age - 45)
    )
    logit = 0.6 + 1.3 * worth - 1.0 * b  # the historical penalty for group B
    approved = (rng.random(n) < 1.0 / (1.0 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame(
        {
            "applicant_id": np.arange(100001, 100001 + n),
            "group": group,
            "district": district,
            "age": age,
            "income": income,
            "debt_ratio": debt_ratio,
            "years_employed": years_employed,
            "late_payments": late_payments,
            "loan_amount": loan_amount,
            "ref_code": rng.integers(10000, 100000, n),
            "approved": approved,
        }
    )
    frame.to_csv(folder / "credit_applications.csv", index=False, lineterminator="\n")
