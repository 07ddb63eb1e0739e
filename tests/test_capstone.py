"""Is the capstone's held-out set sound? Its labels stay out of data/, the labels embedded in the
hidden tests are exactly the generator's, and the score tiers separate a constant, a simple
baseline and a tuned model as the assignment promises."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from certlab.datagen import capstone
from certlab.notebooks import certlab_meta, is_test, read_notebook

REPO = Path(__file__).resolve().parent.parent
SOURCE = REPO / "source" / "32_capstone" / "32_capstone.ipynb"
DATA = REPO / "data"
PACKED = re.compile(r'_packed = "([A-Za-z0-9+/=]+)"')
DIGEST = re.compile(r'hexdigest\(\) == "([0-9a-f]{64})"')
BAR = re.compile(r"assert _auc >= ([0-9.]+)")


def tier_cells() -> dict[float, str]:
    """Threshold -> source of each test cell that scores the held-out predictions."""
    cells = {}
    for cell in read_notebook(SOURCE).cells:
        if is_test(cell) and PACKED.search(cell.source):
            cells[float(BAR.search(cell.source).group(1))] = cell.source
    return cells


@pytest.fixture(scope="module")
def frames():
    return capstone.frames()


def test_generator_is_deterministic(frames):
    """Does the generator give the same tables and labels on every call?"""
    train, test, labels = frames
    again = capstone.frames()
    assert train.equals(again[0]) and test.equals(again[1]) and np.array_equal(labels, again[2])


def test_held_out_labels_are_not_in_data(frames):
    """Does data/capstone_test.csv hold the features only, matching the generator row for row?"""
    _, test, _ = frames
    on_disk = pd.read_csv(DATA / "capstone_test.csv")
    assert {"cancelled", "reservation_status"}.isdisjoint(on_disk.columns)
    assert list(on_disk.columns) == list(test.columns)
    assert on_disk["booking_id"].tolist() == test["booking_id"].tolist()
    train_ids = set(pd.read_csv(DATA / "capstone_train.csv")["booking_id"])
    assert train_ids.isdisjoint(on_disk["booking_id"]), "a test booking also appears in the training file"


def test_embedded_labels_equal_the_generators(frames):
    """Do all tier cells embed exactly the regenerated labels, with a matching checksum?"""
    labels = frames[2]
    cells = tier_cells()
    assert len(cells) == 3, "bronze, silver and gold"
    for source in cells.values():
        packed = PACKED.search(source).group(1)
        bits = np.unpackbits(np.frombuffer(base64.b64decode(packed), dtype=np.uint8))[: len(labels)]
        assert np.array_equal(bits, labels)
        assert DIGEST.search(source).group(1) == hashlib.sha256(labels.astype(np.uint8).tobytes()).hexdigest()


def test_tiers_belong_to_the_right_exercises():
    """Is bronze part of `predictions` and are silver and gold part of `final_model`, so that a
    weaker model loses only the higher tiers?"""
    owners = {}
    for cell in read_notebook(SOURCE).cells:
        if is_test(cell) and PACKED.search(cell.source):
            owners[float(BAR.search(cell.source).group(1))] = certlab_meta(cell)["exercise"]
    low, mid, high = sorted(owners)
    assert owners[low] == "predictions" and owners[mid] == owners[high] == "final_model"


@pytest.mark.slow
def test_tiers_separate_constant_baseline_and_tuned_models(frames):
    """Does a constant score below bronze, a raw logistic regression between bronze and silver,
    and a gradient-boosted model on the engineered features reach gold?"""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    train, test, labels = frames
    bronze, silver, gold = sorted(tier_cells())
    assert roc_auc_score(labels, np.full(len(labels), 0.4)) < bronze

    numeric = [
        "lead_time_days", "nights", "adults", "children", "adr", "previous_cancellations", "previous_stays",
        "booking_changes", "special_requests", "parking_spaces", "days_in_waiting_list",
    ]  # fmt: skip
    categorical = ["hotel", "market_segment", "customer_type", "guest_origin", "deposit_type"]
    linear = Pipeline(
        [
            (
                "pre",
                ColumnTransformer(
                    [
                        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
                    ]
                ),
            ),
            ("clf", LogisticRegression(max_iter=1000)),
        ]
    ).fit(train, train["cancelled"])
    auc = roc_auc_score(labels, linear.predict_proba(test)[:, 1])
    assert bronze + 0.02 < auc < silver - 0.01, f"baseline AUC {auc:.3f}"

    def features(df):
        d = pd.to_datetime(df["arrival_date"])
        return df.assign(
            arrival_month=d.dt.month,
            arrival_weekday=d.dt.day_of_week,
            weekend_arrival=d.dt.day_of_week.isin([4, 5]).astype(int),
        )

    trees = Pipeline(
        [
            (
                "pre",
                ColumnTransformer(
                    [
                        ("num", "passthrough", [*numeric, "arrival_month", "arrival_weekday", "weekend_arrival"]),
                        ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
                    ]
                ),
            ),
            (
                "clf",
                HistGradientBoostingClassifier(
                    learning_rate=0.05,
                    max_iter=200,
                    max_leaf_nodes=8,
                    min_samples_leaf=20,
                    early_stopping=False,
                    random_state=0,
                ),
            ),
        ]
    ).fit(features(train), train["cancelled"])
    auc = roc_auc_score(labels, trees.predict_proba(features(test))[:, 1])
    assert auc >= gold + 0.005, f"tuned-model AUC {auc:.3f}"
