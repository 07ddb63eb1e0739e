"""Hints and solutions on demand, from inside a notebook, with their use recorded.

In a notebook: ``certlab.hint("norm")`` shows the next hint level for exercise ``norm``;
``certlab.solution("norm")`` shows the reference answer (when the course's source/ is present).
Each call is appended to ``.certlab/usage.jsonl`` at the course root, which ``certlab check``
and ``certlab report`` read to show how much help an exercise took.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import time
from pathlib import Path

from certlab.course import Course, find_root
from certlab.errors import CertlabError
from certlab.notebooks import certlab_meta, nbgrader_meta, read_notebook

USAGE_FILE = Path(".certlab") / "usage.jsonl"
DETAILS = re.compile(r"<details><summary>(?P<label>.*?)</summary>\s*(?P<body>.*?)\s*</details>", re.S)


def student_id() -> str:
    return os.environ.get("CERTLAB_STUDENT") or getpass.getuser()


def read_usage(root: Path) -> list[dict]:
    path = root / USAGE_FILE
    if not path.exists():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a torn last line from an interrupted write costs one event, not the file
    return events


def record(root: Path, **event) -> None:
    path = root / USAGE_FILE
    path.parent.mkdir(exist_ok=True)
    event.setdefault("student", student_id())
    event.setdefault("time", time.strftime("%Y-%m-%dT%H:%M:%S"))
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(event, sort_keys=True) + "\n")


def hints_used(root: Path, student: str) -> dict[tuple[str, str], int]:
    """(assignment, exercise) -> the highest hint level the student has opened."""
    used: dict[tuple[str, str], int] = {}
    for e in read_usage(root):
        if e.get("student") == student and e.get("kind") == "hint":
            key = (e.get("assignment"), e.get("exercise"))
            used[key] = max(used.get(key, 0), int(e.get("level", 0)))
    return used


def solutions_viewed(root: Path, student: str) -> set[tuple[str, str]]:
    return {
        (e.get("assignment"), e.get("exercise"))
        for e in read_usage(root)
        if e.get("student") == student and e.get("kind") == "solution"
    }


def hint_levels(nb) -> dict[str, list[tuple[str, str]]]:
    """exercise -> [(label, markdown)] from the notebook's hints cells."""
    out = {}
    for cell in nb.cells:
        meta = certlab_meta(cell)
        if meta.get("role") == "hints":
            out[meta.get("exercise")] = [(m["label"], m["body"]) for m in DETAILS.finditer(cell.source)]
    return out


def _locate(exercise: str, assignment: str | None):
    course = Course(find_root())
    if assignment is None:
        assignment = Path.cwd().name
        if assignment not in {a.id for a in course.assignments}:
            raise CertlabError("Run this from a notebook inside release/NN_topic/, or pass assignment='NN_topic'.")
    folder = course.source_dir / assignment
    if not folder.is_dir():
        folder = course.release_dir / assignment
    for path in sorted(folder.glob("*.ipynb")):
        nb = read_notebook(path)
        if exercise in hint_levels(nb) or any(certlab_meta(c).get("exercise") == exercise for c in nb.cells):
            return course, assignment, nb
    raise CertlabError(f"No exercise {exercise!r} in {assignment}.")


def _show(markdown: str):
    try:
        from IPython.display import Markdown, display

        display(Markdown(markdown))
    except ImportError:  # extra: outside IPython, print
        print(markdown)
    return None


def hint(exercise: str, assignment: str | None = None):
    """Show the next hint level for an exercise (and record that it was opened)."""
    course, assignment, nb = _locate(exercise, assignment)
    levels = hint_levels(nb).get(exercise) or []
    if not levels:
        return _show(f"No hints for `{exercise}`.")
    level = min(hints_used(course.root, student_id()).get((assignment, exercise), 0) + 1, len(levels))
    record(course.root, kind="hint", assignment=assignment, exercise=exercise, level=level)
    label, body = levels[level - 1]
    more = " (the last one)" if level == len(levels) else f"; call again for level {level + 1}"
    return _show(f"**{label}**{more}\n\n{body}")


def solution(exercise: str, assignment: str | None = None):
    """Show the reference answer (source/ only), recorded so the report can say it was viewed."""
    course, assignment, nb = _locate(exercise, assignment)
    for cell in nb.cells:
        if certlab_meta(cell).get("exercise") == exercise and nbgrader_meta(cell).get("solution"):
            if "### BEGIN SOLUTION" not in cell.source:
                break
            record(course.root, kind="solution", assignment=assignment, exercise=exercise)
            code = "\n".join(line for line in cell.source.splitlines() if "### " not in line)
            return _show(f"Reference answer for `{exercise}` (viewing it is recorded):\n\n```python\n{code}\n```")
    return _show("The reference answer is not in this copy of the course (no source/ notebook).")
