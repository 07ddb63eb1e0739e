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
