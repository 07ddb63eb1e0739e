"""``certlab exam EXAM --minutes N``: timed practice on a certification's mock exam.

The exam's mock notebook (release/31_mock_exams/<exam>.ipynb) is copied to the learner's
workspace with its start time and limit in the notebook metadata (``certlab.timed``) and in the
usage log. ``certlab check`` on that copy then says whether it was handed in within the limit.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import nbformat

from certlab.course import Course
from certlab.errors import CertlabError
from certlab.notebooks import read_notebook
from certlab.usage import record, student_id

MOCK_ASSIGNMENT = "31_mock_exams"


def mock_path(course: Course, exam: str) -> tuple[str, Path]:
    """The mock notebook for an exam; a retired exam uses its successor's."""
    if exam not in course.blueprints:
        raise CertlabError(f"unknown exam {exam!r}; choose one of {', '.join(sorted(course.blueprints))}")
    target = exam
    folder = course.release_dir / MOCK_ASSIGNMENT
    if not (folder / f"{target}.ipynb").exists() and course.blueprints[exam].get("successor"):
        target = course.blueprints[exam]["successor"]
    path = folder / f"{target}.ipynb"
    if not path.exists():
        raise CertlabError(f"no mock exam for {exam} in {folder} (run `certlab build {MOCK_ASSIGNMENT}`)")
    return target, path


def start_exam(course: Course, exam: str, minutes: int | None, dest: Path, now: dt.datetime | None = None) -> Path:
    target, source = mock_path(course, exam)
    nb = read_notebook(source)
    limit = minutes or int(nb.metadata.get("certlab", {}).get("minutes", 0) or 0)
    if limit <= 0:
        raise CertlabError("give the time limit with --minutes N")
    start = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    nb.metadata.setdefault("certlab", {})["timed"] = {"exam": target, "start": start.isoformat(), "minutes": limit}
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / f"{target}.ipynb"
    if out.exists():
        backup = out.with_suffix(f".{start:%Y%m%dT%H%M%S}.bak.ipynb")
        shutil.move(out, backup)
    nbformat.write(nb, str(out))
    record(
        course.root,
        kind="exam",
        assignment=MOCK_ASSIGNMENT,
        exercise=target,
        minutes=limit,
        start=start.isoformat(),
        student=student_id(),
    )
    return out


def time_status(nb, now: dt.datetime | None = None) -> str | None:
    """'within the limit' / 'over time by N min' for a timed copy; None for an untimed notebook."""
    timed = nb.metadata.get("certlab", {}).get("timed")
    if not timed:
        return None
    start = dt.datetime.fromisoformat(timed["start"])
    used = ((now or dt.datetime.now(dt.UTC)) - start).total_seconds() / 60
    over = used - float(timed["minutes"])
    if over > 0:
        return f"over time by {over:.0f} min ({used:.0f} of {timed['minutes']} min used)"
    return f"within the limit ({used:.0f} of {timed['minutes']} min used)"
