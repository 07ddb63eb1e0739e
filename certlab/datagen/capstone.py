"""Hotel bookings and whether they were cancelled, for the capstone project (``32_capstone``).

Two files:

- ``capstone_train.csv``: 4 000 bookings with their features and the label ``cancelled``
  (1 when the guest cancelled or did not show up);
- ``capstone_test.csv``: 1 500 further bookings, features only, keyed by ``booking_id``. Their
  labels are *not* written anywhere in ``data/``: :func:`held_out_labels` regenerates them, and the
  capstone's hidden tests carry them packed and checksummed.

What makes the table realistic rather than a toy:

- numeric and categorical columns, a date column to engineer (month, weekday, season), about 5 %
  of ``adr`` and 4 % of ``children`` missing (``adr`` more often for offline travel agents);
- a nonlinear signal: cancellations rise with the lead time and then level off, a stay's price
  matters for online bookings only, previous cancellations saturate, special requests and a
  parking space make a cancellation unlikely;
- traps. ``reservation_status`` (``Check-Out``, ``Canceled``, ``No-Show``) is recorded *after*
  the stay: it is a copy of the label, and it is absent from the test file. ``booking_id`` is a
  random identifier with no signal. ``deposit_type = non_refundable`` and
  ``previous_cancellations`` look too good to be true but are known when the booking is made, so
  they are legitimate features.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FILES = ("capstone_train.csv", "capstone_test.csv")
SEED = 20240926
N_TRAIN, N_TEST = 5000, 1500

SEGMENTS = ("online_ta", "offline_ta", "direct", "corporate", "groups")
SEGMENT_P = (0.46, 0.17, 0.15, 0.10, 0.12)
SEGMENT_EFFECT = {"online_ta": 0.45, "offline_ta": 0.0, "direct": -0.55, "corporate": -0.7, "groups": 0.35}


def _bookings(rng: np.random.Generator, n: int) -> pd.DataFrame:
    hotel = rng.choice(np.array(["city", "resort"]), n, p=[0.62, 0.38])
    segment = rng.choice(np.array(SEGMENTS), n, p=SEGMENT_P)
    origin = rng.choice(np.array(["domestic", "europe", "overseas"]), n, p=[0.38, 0.46, 0.16])
    customer = rng.choice(np.array(["transient", "transient_party", "contract", "group"]), n, p=[0.7, 0.2, 0.05, 0.05])
    # Non-refundable deposits come mostly with group and offline travel-agent bookings.
    p_nonref = np.where(np.isin(segment, ["groups", "offline_ta"]), 0.28, 0.04)
    u = rng.random(n)
    deposit = np.where(u < p_nonref, "non_refundable", np.where(u > 0.95, "refundable", "no_deposit"))
    arrival = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 730, n), unit="D")
    month = arrival.month.to_numpy()
    lead = np.clip(np.round(rng.gamma(1.1, 75.0, n) + np.where(segment == "groups", 60, 0)), 0, 600).astype(int)
    nights = 1 + rng.poisson(np.where(hotel == "resort", 3.2, 1.8))
    adults = rng.choice(np.array([1, 2, 3, 4]), n, p=[0.2, 0.66, 0.1, 0.04])
    children = rng.choice(np.array([0, 1, 2, 3]), n, p=[0.86, 0.08, 0.05, 0.01]).astype(float)
    summer = np.isin(month, [6, 7, 8])
    adr = (
        np.where(hotel == "resort", 75.0, 95.0)
        + np.where(summer & (hotel == "resort"), 70.0, 0.0)
        + np.where(summer & (hotel == "city"), 15.0, 0.0)
        + 12.0 * (adults - 2)
        + 9.0 * children
        + rng.normal(0, 22.0, n)
    )
    adr = np.where(rng.random(n) < 0.015, 0.0, np.round(np.clip(adr, 20, None), 2))  # complimentary stays
    prev_cancel = np.where(rng.random(n) < 0.09, rng.geometric(0.45, n), 0)
    prev_ok = np.where(rng.random(n) < 0.12, rng.geometric(0.3, n), 0)
    changes = rng.poisson(0.3, n)
    requests = rng.poisson(np.where(segment == "online_ta", 0.9, 0.4))
    parking = (rng.random(n) < np.where(hotel == "resort", 0.12, 0.04)).astype(int)
    waiting = np.where(rng.random(n) < 0.04, rng.integers(1, 60, n), 0)

    weekday = arrival.day_of_week.to_numpy()
    lead_effect = 3.2 * (lead / 150.0) * np.exp(1 - lead / 150.0)  # peaks near 150 days, then falls
    norm_adr = np.where(hotel == "resort", np.where(summer, 145.0, 75.0), np.where(summer, 110.0, 95.0))
    logit = (
        -3.1
        + lead_effect
        + 0.3 * (hotel == "city")
        + np.where(origin == "domestic", 0.6, np.where(origin == "overseas", -0.4, 0.0))
        + np.array([SEGMENT_EFFECT[s] for s in segment])
        # a non-refundable deposit on a booking made months ahead: typical of block bookings
        + np.where(deposit == "non_refundable", np.where(lead > 60, 3.5, 0.3), 0.0)
        - 0.3 * (deposit == "refundable")
        + 2.4 * (prev_cancel > 0)  # one earlier cancellation says it all; more add nothing
        - 0.8 * (prev_ok > 0)
        - 0.4 * np.minimum(changes, 2)
        - 1.5 * (requests > 0)
        - 3.0 * parking
        + 0.04 * (np.clip(adr, 0, None) - norm_adr) * (segment == "online_ta")  # dear for the season: shop around
        + 0.6 * (waiting > 0)
        + np.where(customer == "transient", 0.25, np.where(customer == "group", -0.4, 0.0))
        + 1.1 * ((hotel == "city") & np.isin(weekday, [4, 5]))  # Friday or Saturday arrivals: weekend trips
        - 0.5 * ((hotel == "resort") & summer)
    )
    cancelled = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    status = np.where(cancelled == 1, np.where(rng.random(n) < 0.9, "Canceled", "No-Show"), "Check-Out")
    # Missing values: adr more often for offline agents, children at random.
    adr = np.where(rng.random(n) < np.where(segment == "offline_ta", 0.14, 0.03), np.nan, adr)
    children = np.where(rng.random(n) < 0.04, np.nan, children)
    frame = pd.DataFrame(
        {
            "hotel": hotel,
            "arrival_date": arrival.strftime("%Y-%m-%d"),
            "lead_time_days": lead,
            "nights": nights,
            "adults": adults,
            "children": children,
            "market_segment": segment,
            "customer_type": customer,
            "guest_origin": origin,
            "deposit_type": deposit,
            "adr": adr,
            "previous_cancellations": prev_cancel,
            "previous_stays": prev_ok,
            "booking_changes": changes,
            "special_requests": requests,
            "parking_spaces": parking,
            "days_in_waiting_list": waiting,
            "reservation_status": status,
            "cancelled": cancelled,
        }
    )
    return frame, 1 / (1 + np.exp(-logit))


def frames() -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """``(train, test, test_labels)``: the two tables as written, and the test set's labels."""
    rng = np.random.default_rng(SEED)
    data, _ = _bookings(rng, N_TRAIN + N_TEST)
    data.insert(0, "booking_id", rng.choice(np.arange(100000, 1000000), len(data), replace=False))
    train = data.iloc[:N_TRAIN].reset_index(drop=True)
    test = data.iloc[N_TRAIN:].reset_index(drop=True)
    labels = test["cancelled"].to_numpy().astype(np.uint8)
    test = test.drop(columns=["reservation_status", "cancelled"])
    return train, test, labels


def held_out_labels() -> np.ndarray:
    """The held-out labels of ``capstone_test.csv``, in file order (0/1, uint8)."""
    return frames()[2]


def generate(folder: Path) -> None:
    train, test, _ = frames()
    train.to_csv(folder / "capstone_train.csv", index=False, lineterminator="\n")
    test.to_csv(folder / "capstone_test.csv", index=False, lineterminator="\n")
