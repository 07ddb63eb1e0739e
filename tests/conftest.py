"""Shared fixtures: the repository's course, and small hand-made fixture courses."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Two test workers share two cores: one BLAS/framework thread per kernel.
os.environ.setdefault("CERTLAB_THREADS", "1")
# `certlab check` run as a command would leave a check server per test course in the background;
# tests/test_check_server.py turns it on where it is the subject.
os.environ.setdefault("CERTLAB_CHECK_SERVER", "0")


@pytest.fixture(scope="session")
def repo_course():
    from certlab.course import Course

    return Course(REPO)


@pytest.fixture
def tiny_course(tmp_path) -> Path:
    """A copy of tests/fixtures/tiny_course (one written assignment, two exercises) to mutate."""
    dest = tmp_path / "tiny_course"
    shutil.copytree(FIXTURES / "tiny_course", dest)
    shutil.copy2(REPO / "nbgrader_config.py", dest / "nbgrader_config.py")
    return dest


@pytest.fixture
def bank_course(tiny_course, monkeypatch) -> Path:
    """The tiny course with the fixture exam `fixture-ml` (tests/fixtures/banks/: a blueprint with
    an 8-question form and a 16-item bank) visible next to the real blueprints, as if its bank
    were the only one in certlab/exams/."""
    import certlab.course
    import certlab.learner.bank

    banks = FIXTURES / "banks"
    real = certlab.course.load_blueprints
    monkeypatch.setattr(certlab.learner.bank, "BANK_DIR", banks / "exams")
    monkeypatch.setattr(
        certlab.course,
        "load_blueprints",
        lambda folder=certlab.course.BLUEPRINT_DIR: {**real(folder), **real(banks / "blueprints")},
    )
    monkeypatch.setenv("CERTLAB_STUDENT", "lee")
    return tiny_course


# Seconds one xdist worker spends on a group (every graded run of an assignment in
# tests/test_exercises.py, or a module that shares one expensive fixture), from `make test` on a
# 2-core machine, rounded. Only the order matters: an assignment missing here is estimated from
# its number of tests and its track.
_GROUP_SECONDS = {
    "21_spark_ml": 330,
    "31_mock_exams": 240,
    "13_tf_vision": 140,
    "20_mlflow_tracking": 120,
    "32_capstone": 115,
    "08_trees_ensembles": 110,
    "14_tf_nlp": 105,
    "12_tf_fundamentals": 100,
    "15_tf_time_series": 90,
    "05_data_prep_eda": 75,
    "adversarial": 75,
    "adversarial_course": 70,
    "11_model_selection": 65,
    "25_transformers": 60,
    "26_embeddings_vector_search": 50,
    "19_pipelines_serving": 50,
    "28_adapting_models": 50,
    "23_responsible_ai": 50,
    "17_torch_vision": 45,
    "09_svm_kernels": 40,
    "29_agents_guardrails": 40,
    "30_genai_ops": 40,
    "labext": 40,
    "10_unsupervised": 40,
    "18_torch_sequences": 35,
    "27_rag_evaluation": 35,
    "03_calculus_gradient_descent": 35,
    "22_monitoring_drift": 35,
    "24_ai_services": 35,
}
# Otherwise: seconds per test of an assignment, by track.
_RUN_SECONDS = {"genai": 8.0, "production": 8.0, "tensorflow": 10.0, "pytorch": 5.0, "assessment": 15.0}


def pytest_collection_modifyitems(config, items):
    """The most expensive xdist groups first: `make test` runs ``-n 2 --dist loadgroup
    --no-loadscope-reorder``, so groups go to the workers in this order, and a long group
    started last cannot keep one worker busy while the other has nothing left to do.
    (tests/test_test_groups.py checks that the grouping itself holds.)"""
    from certlab.course import Course

    tracks = {a["id"]: a.get("track") for a in Course(REPO).manifest.get("assignments", [])}
    sizes: dict[str, int] = {}
    for item in items:
        marker = item.get_closest_marker("xdist_group")
        if marker:
            sizes[marker.args[0]] = sizes.get(marker.args[0], 0) + 1

    def cost(item) -> float:
        marker = item.get_closest_marker("xdist_group")
        if marker is None:
            return 0.0
        group = marker.args[0]
        if group in _GROUP_SECONDS:
            return float(_GROUP_SECONDS[group])
        return sizes[group] * _RUN_SECONDS.get(tracks.get(group), 3.0)

    items.sort(key=lambda item: -cost(item))  # stable: each group keeps its own order
