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
