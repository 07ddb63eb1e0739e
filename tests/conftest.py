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


# Relative cost of one graded run of a notebook, by track (a rough ranking from `certlab bench
# notebooks`: the generative-AI and Spark notebooks train or start a JVM, foundations take seconds).
_RUN_WEIGHT = {"genai": 6.0, "production": 2.0, "tensorflow": 2.5, "pytorch": 1.5, "assessment": 3.0}
# Groups of other test modules, in the same units (about four seconds each).
_GROUP_WEIGHT = {"adversarial_course": 50.0, "nbgrader_course": 15.0, "labext": 10.0}


def pytest_collection_modifyitems(config, items):
    """The most expensive xdist groups first: `make test` runs ``-n 2 --dist loadgroup
    --no-loadscope-reorder``, so groups go to the workers in this order, and a long group
    started last cannot keep one worker busy while the other has nothing left to do."""
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
        if group in tracks:  # an assignment of tests/test_exercises.py: one run per test, roughly
            return sizes[group] * _RUN_WEIGHT.get(tracks[group], 1.0)
        return _GROUP_WEIGHT.get(group, float(sizes[group]))

    items.sort(key=lambda item: -cost(item))  # stable: each group keeps its own order
