"""Does the test suite's own scheduling hold?

`make test` runs ``pytest -n 2 --dist loadgroup``: every test of one assignment in
tests/test_exercises.py carries ``xdist_group(<assignment>)`` so that one worker grades the
reference, the stub and every wrong answer of that assignment once (``graded()`` caches per
process). When the grouping silently stops working, each worker grades the whole assignment again
and the suite takes twice as long while every test still passes. pytest-xdist 3.8 marks a group
by appending ``@group`` to the test ids, and pytest 9.2 no longer lets a plugin change a test id
(pytest-dev/pytest-xdist#1386): requirements-dev.txt pins pytest below 9.2 until xdist follows.
This test runs a small suite the way `make test` does and checks where its tests ran.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SUITE = textwrap.dedent(
    """
    import json, os
    from pathlib import Path

    import pytest

    GROUPS = [pytest.param(g, i, marks=pytest.mark.xdist_group(g)) for g in ("a", "b", "c") for i in range(4)]


    @pytest.mark.parametrize(("group", "i"), GROUPS)
    def test_records_its_worker(group, i):
        out = Path(os.environ["WHERE"]) / f"{group}-{i}.json"
        out.write_text(json.dumps(os.environ.get("PYTEST_XDIST_WORKER")))
    """
)


def test_loadgroup_keeps_each_group_on_one_worker(tmp_path):
    (tmp_path / "test_suite.py").write_text(SUITE)
    where = tmp_path / "where"
    where.mkdir()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup"],
        cwd=tmp_path,
        # Not the outer run's PYTEST_* variables: inside an xdist worker, PYTEST_XDIST_WORKER would
        # make tests that ran without xdist look as if they had.
        env={**{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}, "WHERE": str(where)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    workers: dict[str, set] = {}
    for path in where.glob("*.json"):
        workers.setdefault(path.stem.split("-")[0], set()).add(json.loads(path.read_text()))
    assert sorted(workers) == ["a", "b", "c"], f"not every group ran: {sorted(path.name for path in where.iterdir())}"
    assert None not in set().union(*workers.values()), "the tests did not run in xdist workers"
    split = {group: sorted(ids) for group, ids in workers.items() if len(ids) > 1}
    assert not split, (
        f"--dist loadgroup spread groups over several workers: {split}; see this module's docstring "
        "(the pytest and pytest-xdist pins in requirements-dev.txt)"
    )
