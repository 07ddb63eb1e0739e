"""On nbgrader's own documentation course (ps1, students bitdiddle and hacker), does
`certlab grade`, with its sandbox and canaries, give exactly the scores of plain `nbgrader
autograde`?"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbgrader
import pytest

from certlab.bench import cell_scores
from certlab.grading.pool import grade

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("nbgrader_course")]

GUIDE = Path(nbgrader.__file__).parent / "docs" / "source" / "user_guide"
BIN = Path(sys.executable).parent


def docs_course(root: Path) -> Path:
    root.mkdir(parents=True)
    shutil.copytree(GUIDE / "source" / "ps1", root / "source" / "ps1")
    for student in ("bitdiddle", "hacker"):
        shutil.copytree(GUIDE / "submitted" / student / "ps1", root / "submitted" / student / "ps1")
    (root / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'course101'\n")
    return root


@pytest.mark.skipif(not (GUIDE / "source" / "ps1").is_dir(), reason="this nbgrader has no documentation course")
def test_same_scores_as_nbgrader_on_its_documentation_course(tmp_path):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    plain = docs_course(tmp_path / "plain")
    for args in (["generate_assignment", "ps1"], ["autograde", "ps1"]):
        subprocess.run([str(BIN / "nbgrader"), *args, "--force"], cwd=plain, env=env, check=True, capture_output=True)
    ours = docs_course(tmp_path / "ours")
    run = grade(ours, jobs=2)
    assert not run.failed, [r.error for r in run.failed]
    expected = cell_scores(plain / "gradebook.db")
    got = cell_scores(ours / "gradebook.db")
    assert expected and got == expected
    # The two students differ, so equal scores are not equal by accident of a blank run.
    totals = {s: sum(v for (st, _, _), v in got.items() if st == s) for s in ("bitdiddle", "hacker")}
    assert totals["bitdiddle"] != totals["hacker"] or sum(totals.values()) > 0, totals
