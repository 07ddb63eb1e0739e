"""A small online shop: customers and their orders, with the flaws real tables have.

Used for Pandas practice (cleaning, merges, groupby, time columns) and data preparation.
Flaws on purpose: missing regions, a few negative quantities (returns), duplicated order ids,
mixed-case country names, and order dates as ISO strings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FILES = ("customers.csv", "orders.csv")
SEED = 20240101


def generate(folder: Path) -> None:
    rng = np.random.default_rng(SEED)
    n_customers, n_orders = 200, 1500
    countries = np.array(["Germany", "France", "Spain", "Italy", "Poland"])
    customers = pd.DataFrame(
        {
            "customer_id": np.arange(1, n_customers + 1),
            "signup_date": (
                pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365, n_customers), unit="D")
            ).strftime("%Y-%m-%d"),
            "country": rng.choice(countries, n_customers, p=[0.35, 0.25, 0.15, 0.15, 0.10]),
            "segment": rng.choice(["consumer", "business"], n_customers, p=[0.8, 0.2]),
            "age": rng.integers(18, 80, n_customers).astype(float),
        }
    )
    lower = rng.random(n_customers) < 0.1
    customers.loc[lower, "country"] = customers.loc[lower, "country"].str.lower()
    customers.loc[rng.random(n_customers) < 0.05, "age"] = np.nan
    products = {"book": 12.5, "laptop": 899.0, "mouse": 19.9, "monitor": 179.0, "cable": 7.5}
    names = np.array(list(products))
    product = rng.choice(names, n_orders, p=[0.3, 0.05, 0.25, 0.1, 0.3])
    quantity = rng.integers(1, 5, n_orders)
    quantity[rng.random(n_orders) < 0.03] *= -1  # returns
    orders = pd.DataFrame(
        {
            "order_id": np.arange(10001, 10001 + n_orders),
            "customer_id": rng.integers(1, n_customers + 1, n_orders),
            "order_date": (
                pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 366 * 24, n_orders), unit="h")
            ).strftime("%Y-%m-%d %H:00"),
            "product": product,
            "unit_price": np.array([products[p] for p in product]),
            "quantity": quantity,
        }
    )
    dupes = orders.sample(15, random_state=SEED)
    orders = pd.concat([orders, dupes]).sort_values(["order_date", "order_id"], kind="stable").reset_index(drop=True)
    customers.to_csv(folder / "customers.csv", index=False, lineterminator="\n")
    orders.to_csv(folder / "orders.csv", index=False, lineterminator="\n")
