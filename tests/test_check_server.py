"""The check server (certlab/learner/check_server.py): a later check is answered by a process
that stays warm, with the same result as a check in-process, and errors travel back as errors."""

from __future__ import annotations

import time

import pytest

from certlab.errors import CertlabError
from certlab.learner import check_server
from certlab.learner.check import check
from tests.test_check import ANSWERS, learner_notebook

pytestmark = pytest.mark.slow


@pytest.fixture
def server_on(monkeypatch):
    monkeypatch.setenv("CERTLAB_CHECK_SERVER", "1")
    monkeypatch.setenv("CERTLAB_CHECK_SERVER_IDLE", "900")  # a loaded CI machine is slow


def _wait_for(path, seconds=180):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, "the check server did not start"
        time.sleep(0.2)


def test_server_answers_like_an_in_process_check(tiny_course, tmp_path, server_on):
    notebook = learner_notebook(tiny_course, tmp_path / "work" / "01_tiny.ipynb", ANSWERS)
    path = check_server.socket_path(tiny_course)
    try:
        # No server yet: the caller checks in-process, and a server starts for the next check.
        assert check_server.request(notebook, tiny_course, "lee", record=False) is None
        check_server.release_start_lock()  # (the in-process check would run here)
        _wait_for(path)
        served = check_server.request(notebook, tiny_course, "lee", record=False, start=False)
        assert served is not None, "the running server did not answer"
        local = check(notebook, root=tiny_course, student="lee", record=False)
        assert [(r.exercise, r.score, r.max_score, r.reason) for r in served.results] == [
            (r.exercise, r.score, r.max_score, r.reason) for r in local.results
        ]
        assert 0 < served.score < served.max_score
        # The learner's input errors come back as the same clear error.
        stray = tmp_path / "stray.ipynb"
        stray.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
        with pytest.raises(CertlabError, match="no graded test cells"):
            check_server.request(stray, tiny_course, "lee", record=False, start=False)
    finally:
        assert check_server.stop(tiny_course)
    assert not path.exists()
    assert check_server.request(notebook, tiny_course, "lee", record=False, start=False) is None


def test_switched_off_means_in_process(tiny_course, tmp_path, monkeypatch):
    monkeypatch.setenv("CERTLAB_CHECK_SERVER", "0")
    notebook = learner_notebook(tiny_course, tmp_path / "01_tiny.ipynb", ANSWERS)
    assert check_server.request(notebook, tiny_course, "lee", record=False) is None
    assert not check_server.socket_path(tiny_course).exists()
