"""Loan applications and card transactions: tables for data preparation and classification.

``loans.csv`` is deliberately messy, for cleaning and feature pipelines: corrupt entries in the
income column ("n/a", "?", "unknown"), impossible ages (-1, 0, 999), categories in mixed case with
stray spaces, fully duplicated rows, a heavy right tail in income, two strongly correlated pairs
(loan amount and monthly payment; credit score and utilisation) and a rare positive class
(``defaulted``, about 8 %).

``transactions.csv`` is clean and numeric, with a very rare positive class (``is_fraud``, about
2 %): the setting in which accuracy misleads and thresholds need a business cost.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FILES = ("loans.csv", "transactions.csv")
SEED = 20240505


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _loans(rng: np.random.Generator, n: int = 6000) -> pd.DataFrame:
    age = np.clip(rng.normal(41, 12, n), 18, 85).round()
    employment = rng.choice(
        ["salaried", "self-employed", "unemployed", "retired", "student"], n, p=[0.58, 0.17, 0.07, 0.1, 0.08]
    )
    education = rng.choice(["high_school", "bachelor", "master", "phd"], n, p=[0.4, 0.35, 0.2, 0.05])
    edu_level = pd.Series(education).map({"high_school": 0, "bachelor": 1, "master": 2, "phd": 3}).to_numpy()
    home = rng.choice(["rent", "mortgage", "own"], n, p=[0.45, 0.4, 0.15])
    region = rng.choice(["north", "south", "east", "west", "centre", "coast", "mountain", "islands"], n)
    log_income = 10.4 + 0.18 * edu_level + 0.01 * (age - 40) + rng.normal(0, 0.45, n)
    log_income[employment == "unemployed"] -= 0.9
    log_income[employment == "student"] -= 0.7
    income = np.round(np.exp(log_income), -2)
    term = rng.choice([36, 60], n, p=[0.65, 0.35])
    loan_amount = np.round(np.clip(np.exp(rng.normal(9.3, 0.6, n)) + 0.1 * income, 1000, 60000), -2)
    rate = 0.05 + 0.02 * (term == 60) + rng.uniform(0, 0.06, n)
    r = rate / 12
    monthly_payment = np.round(loan_amount * r / (1 - (1 + r) ** -term), 2)
    credit_score = np.clip(rng.normal(680, 70, n) + 20 * edu_level, 300, 850).round()
    utilisation = np.clip(0.95 - (credit_score - 300) / 600 + rng.normal(0, 0.08, n), 0, 1).round(3)
    late_payments = rng.poisson(np.clip((760 - credit_score) / 90, 0.05, None))
    z = (
        -3.8
        - 0.012 * (credit_score - 680)
        + 1.6 * (utilisation - 0.4)
        + 0.35 * late_payments
        - 0.9 * (np.log(income) - 10.5)
        + 0.6 * (term == 60)
        + 0.9 * (employment == "unemployed")
        + 0.2 * (home == "rent")
        + 1.2 * (monthly_payment * 12 / income)
    )
    defaulted = (rng.random(n) < _sigmoid(z)).astype(int)
    dates = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    frame = pd.DataFrame(
        {
            "loan_id": np.arange(500001, 500001 + n),
            "application_date": dates.strftime("%Y-%m-%d"),
            "age": age,
            "income": income.astype(object),
            "employment": employment.astype(object),
            "education": education,
            "home_ownership": home,
            "region": region,
            "loan_amount": loan_amount,
            "term_months": term,
            "monthly_payment": monthly_payment,
            "credit_score": credit_score,
            "utilisation": utilisation,
            "late_payments": late_payments,
            "defaulted": defaulted,
        }
    )
    # The flaws real extracts have.
    frame.loc[rng.random(n) < 0.04, "age"] = np.nan
    bad_age = rng.choice(n, 24, replace=False)
    frame.loc[bad_age, "age"] = rng.choice([-1.0, 0.0, 999.0], 24)
    frame.loc[rng.random(n) < 0.03, "income"] = np.nan
    corrupt = rng.choice(np.flatnonzero(frame["income"].notna().to_numpy()), 60, replace=False)
    frame.loc[corrupt, "income"] = rng.choice(["n/a", "?", "unknown"], 60)
    rich = rng.choice(np.flatnonzero(frame["income"].map(lambda v: isinstance(v, float)).to_numpy()), 8, replace=False)
    frame.loc[rich, "income"] = rng.choice([1.5e6, 2.4e6, 4.8e6], 8)
    frame.loc[rng.random(n) < 0.02, "employment"] = np.nan
    messy = rng.choice(np.flatnonzero(frame["employment"].notna().to_numpy()), 300, replace=False)
    frame.loc[messy, "employment"] = [
        f" {v.title()}" if i % 3 == 0 else (f"{v.upper()} " if i % 3 == 1 else f"{v} ")
        for i, v in enumerate(frame.loc[messy, "employment"])
    ]
    frame.loc[rng.random(n) < 0.05, "credit_score"] = np.nan
    dupes = frame.sample(30, random_state=SEED)
    frame = pd.concat([frame, dupes]).sort_values("application_date", kind="stable").reset_index(drop=True)
    return frame


def _transactions(rng: np.random.Generator, n: int = 12000) -> pd.DataFrame:
    fraud = rng.random(n) < 0.02
    k = int(fraud.sum())
    amount = np.exp(rng.normal(3.6, 1.0, n))
    amount[fraud] = np.exp(rng.normal(4.2, 1.2, k))
    hour = rng.integers(6, 24, n)
    night = rng.random(k) < 0.3
    hour[fraud] = np.where(night, rng.integers(0, 6, k), rng.integers(6, 24, k))
    distance = rng.exponential(8, n)
    distance[fraud] = rng.exponential(20, k)
    merchant_risk = rng.beta(2, 8, n)
    merchant_risk[fraud] = rng.beta(2.6, 6, k)
    n_tx_24h = rng.poisson(2.5, n)
    n_tx_24h[fraud] = rng.poisson(3.6, k)
    card_present = (rng.random(n) < 0.7).astype(int)
    card_present[fraud] = (rng.random(k) < 0.45).astype(int)
    foreign = (rng.random(n) < 0.06).astype(int)
    foreign[fraud] = (rng.random(k) < 0.15).astype(int)
    account_age = rng.integers(30, 3650, n)
    account_age[fraud] = rng.integers(10, 2400, k)
    return pd.DataFrame(
        {
            "amount": amount.round(2),
            "hour": hour,
            "distance_km": distance.round(1),
            "merchant_risk": merchant_risk.round(3),
            "n_tx_24h": n_tx_24h,
            "card_present": card_present,
            "foreign": foreign,
            "account_age_days": account_age,
            "is_fraud": fraud.astype(int),
        }
    )


def generate(folder: Path) -> None:
    rng = np.random.default_rng(SEED)
    _loans(rng).to_csv(folder / "loans.csv", index=False, lineterminator="\n")
    _transactions(rng).to_csv(folder / "transactions.csv", index=False, lineterminator="\n")
