"""Does `certlab demo` grade three learners, print the gradebook and readiness, and leave the
repository unchanged?"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent


# Byte-code and tool caches appear while other test workers run in parallel; they are not
# something the demo leaves behind.
CACHES = ("__pycache__", ".pytest_cache", ".ruff_cache", "tests/artifacts")


def git_state() -> list[str]:
    """Tracked changes, untracked and ignored files, minus the caches of concurrent test runs."""
    out = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if not any(c in line for c in CACHES)]


def test_demo_end_to_end():
    before = git_state()
    certlab = Path(sys.executable).with_name("certlab")
    proc = subprocess.run(
        [str(certlab), "demo"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={"COLUMNS": "120", "PATH": f"{certlab.parent}:/usr/bin:/bin"},
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    total = next(line for line in out.splitlines() if line.strip("│ ").startswith("total"))
    ada, ben, cleo = [cell.strip() for cell in total.strip("│ ").split("│")[1:4]]
    points = ada.split("/")[1]
    assert ada == f"{points}/{points}" and ben == f"0/{points}"
    assert 0 < int(cleo.split("/")[0]) < int(points)
    assert "Readiness for aws-mla-c01" in out and "Coverage" in out
    assert git_state() == before
