"""Does `certlab check` grade a learner's notebook as the instructor would, explain failures
without giving answers away, record the attempt, and never touch the learner's file?"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from certlab.check import check
from certlab.cli import main
from certlab.errors import CertlabError
from certlab.mastery import scores_from_gradebook

pytestmark = pytest.mark.slow


def learner_notebook(course: Path, dest: Path, answers: dict[str, str]) -> Path:
    """The release notebook with some answer cells filled in, saved where a learner keeps it."""
    nb = json.loads((course / "release/01_tiny/01_tiny.ipynb").read_text())
    for cell in nb["cells"]:
        exercise = cell["metadata"].get("certlab", {}).get("exercise")
        if exercise in answers and cell["metadata"].get("nbgrader", {}).get("solution"):
            cell["source"] = answers[exercise]
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(nb, indent=1))
    return dest


# Two right, one wrong, one untouched. The wrong mse passes the visible test (perfect prediction)
# but not the hidden one.
ANSWERS = {
    "double": "def double(x):\n    return x + x",
    "mse": "def mse(y, p):\n    return float(np.mean(np.abs(np.asarray(y) - np.asarray(p))))",
    "minmax": "def minmax(v):\n    v = np.asarray(v, dtype=float)\n    return (v - v.min()) / (v.max() - v.min())",
}


@pytest.fixture
def attempt(tiny_course, tmp_path):
    path = learner_notebook(tiny_course, tmp_path / "elsewhere" / "my_work.ipynb", ANSWERS)
    return tiny_course, path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_two_right_one_wrong_one_untouched(attempt):
    """Does check report exactly that, record it in the gradebook, and leave the file as it was?"""
    course, path = attempt
    before = sha(path)
    result = check(path, root=course, student="lee")
    by_ex = {r.exercise: r for r in result.results}
    assert by_ex["double"].passed and by_ex["minmax"].passed
    assert not by_ex["mse"].passed and by_ex["mse"].score == 0
    assert by_ex["mean"].reason == "not answered yet"
    assert by_ex["mse"].reason and "5.0" not in by_ex["mse"].reason, "the reason must not reveal the expected value"
    assert by_ex["mse"].next_hint.startswith("certlab.hint('mse')")
    assert result.hidden and result.score == 3 and result.max_score == 7
    assert sha(path) == before
    recorded = scores_from_gradebook(f"sqlite:///{course / 'gradebook.db'}", "lee")
    assert recorded == {"t01-double-tests": 1.0, "t01-mean-tests": 0.0, "t01-mse-tests": 0.0, "t01-minmax-tests": 2.0}


def test_visible_only_without_source(attempt, capsys):
    """Without source/, are only the visible tests run, and does the output say so?"""
    course, path = attempt
    import shutil

    shutil.rmtree(course / "source")
    assert main(["--root", str(course), "check", str(path), "--student", "lee", "--no-record"]) == 1
    out = capsys.readouterr().out
    assert "Visible tests only" in out
    # The wrong mse passes the visible test; only the hidden test would catch it.
    assert "mse" in out and "2/2" in out


def test_malformed_notebook_is_a_clear_error(tiny_course, tmp_path, capsys):
    """Does a broken file give one line and exit 2, not a traceback?"""
    bad = tmp_path / "broken.ipynb"
    bad.write_text("{ not json")
    assert main(["--root", str(tiny_course), "check", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "malformed notebook JSON" in err and "Traceback" not in err


def test_notebook_from_another_course(tiny_course, tmp_path):
    """Is a notebook whose test cells this course does not know refused with a clear message?"""
    nb = json.loads((tiny_course / "release/01_tiny/01_tiny.ipynb").read_text())
    for cell in nb["cells"]:
        grade = cell["metadata"].get("nbgrader", {})
        if grade.get("grade_id"):
            grade["grade_id"] = "other-" + grade["grade_id"]
    path = tmp_path / "homework.ipynb"
    path.write_text(json.dumps(nb))
    with pytest.raises(CertlabError, match="does not match any assignment"):
        check(path, root=tiny_course, student="lee", record=False)


def test_missing_test_cell_is_reported(attempt):
    """Is a deleted test cell named, and does it score 0 rather than crash the check?"""
    course, path = attempt
    nb = json.loads(path.read_text())
    nb["cells"] = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") != "t01-minmax-tests"]
    path.write_text(json.dumps(nb))
    result = check(path, root=course, student="lee", record=False)
    assert result.missing == ["t01-minmax-tests"]
    assert {r.exercise: r.score for r in result.results}["minmax"] == 0


def test_timed_exam_copy_is_marked_over_time(tiny_course, tmp_path, capsys):
    """Does `certlab exam start --lab` start the clock, and does `certlab check` mark a late hand-in?"""
    import datetime as dt
    import shutil

    from certlab.course import Course
    from certlab.exam import start_lab, time_status

    mock = tiny_course / "release/31_mock_exams"
    mock.mkdir(parents=True)
    shutil.copy2(tiny_course / "release/01_tiny/01_tiny.ipynb", mock / "aws-mla-c01.ipynb")
    two_hours_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)
    path = start_lab(Course(tiny_course), "aws-mls-c01", 90, tmp_path / "exams", now=two_hours_ago)
    assert path.name == "aws-mla-c01.ipynb", "a retired exam uses its successor's mock"
    nb = json.loads(path.read_text())
    assert nb["metadata"]["certlab"]["timed"]["minutes"] == 90
    import nbformat

    assert time_status(nbformat.reads(path.read_text(), as_version=4)).startswith("over time by 30 min")
    assert main(["--root", str(tiny_course), "check", str(path), "--student", "lee", "--no-record"]) == 1
    assert "over time" in capsys.readouterr().out


def test_bench_check_times_the_whole_command(tiny_course, capsys):
    """Does `certlab bench check` run `certlab check` end to end on a half-answered notebook,
    report a median and save it, without recording a benchmark learner in the gradebook?"""
    assert main(["--root", str(tiny_course), "bench", "check", "01_tiny", "--repeat", "2"]) in (0, 1)
    out = capsys.readouterr().out
    saved = Path(out.split("saved ")[-1].split()[0])
    summary = json.loads(saved.read_text())
    (row,) = summary["rows"]
    assert row["assignment"] == "01_tiny" and len(row["runs"]) == 2
    assert row["seconds"] > 0 and summary["within_budget"] == (row["seconds"] <= summary["budget_s"])
    assert not (tiny_course / "gradebook.db").exists()
