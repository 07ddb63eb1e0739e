"""Reading notebooks and the metadata nbgrader and certlab keep on their cells."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from certlab.errors import CertlabError


def read_notebook(path: str | Path) -> nbformat.NotebookNode:
    """Read a notebook, turning every way it can be broken into one clear :class:`CertlabError`."""
    path = Path(path)
    if not path.exists():
        raise CertlabError(f"{path}: no such notebook. Check the path.")
    if path.suffix != ".ipynb":
        raise CertlabError(f"{path}: not a notebook (expected a .ipynb file).")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CertlabError(f"{path}: cannot be read ({exc}).") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CertlabError(
            f"{path}: malformed notebook JSON at line {exc.lineno}, column {exc.colno} ({exc.msg}). "
            "Restore it from version control or re-save it from Jupyter."
        ) from None
    if not isinstance(raw, dict) or "cells" not in raw:
        raise CertlabError(f"{path}: JSON but not a notebook (no 'cells'). Is this the right file?")
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as exc:  # nbformat raises several kinds for invalid structure
        raise CertlabError(f"{path}: not a valid notebook ({exc}).") from None


def execution_seconds(nb) -> float:
    """The time a kernel spent executing the notebook's cells: nbclient's timing metadata
    (``iopub.execute_input`` to ``shell.execute_reply``) summed over the cells that have it."""
    from datetime import datetime

    def stamp(text: str) -> datetime:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    total = 0.0
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            total += (stamp(timing["shell.execute_reply"]) - stamp(timing["iopub.execute_input"])).total_seconds()
    return total


def nbgrader_meta(cell) -> dict:
    return dict(cell.get("metadata", {}).get("nbgrader", {}))


def certlab_meta(cell) -> dict:
    return dict(cell.get("metadata", {}).get("certlab", {}))


def is_answer(cell) -> bool:
    """An autograded answer cell: nbgrader ``solution`` and not ``grade``."""
    meta = nbgrader_meta(cell)
    return bool(meta.get("solution")) and not meta.get("grade")


def is_test(cell) -> bool:
    """An autograded test cell: a code cell with nbgrader ``grade`` and not ``solution``."""
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_graded(cell) -> bool:
    """Any cell that carries points (autograded tests and manually graded answers)."""
    return bool(nbgrader_meta(cell).get("grade"))


@dataclass(frozen=True)
class GradedCell:
    """One cell that carries points, with the skills it exercises."""

    assignment: str
    notebook: str
    grade_id: str
    points: float
    skills: tuple[str, ...]
    exercise: str | None = None
    kind: str = "autograded"  # or "manual"


@dataclass
class Exercise:
    """An answer cell, its test cell and its hints, joined by ``metadata.certlab.exercise``."""

    name: str
    answer_index: int | None = None
    test_indices: list[int] = field(default_factory=list)
    hint_indices: list[int] = field(default_factory=list)


def graded_cells(nb, assignment: str, notebook: str) -> list[GradedCell]:
    cells = []
    for cell in nb.cells:
        if not is_graded(cell):
            continue
        meta, cmeta = nbgrader_meta(cell), certlab_meta(cell)
        cells.append(
            GradedCell(
                assignment=assignment,
                notebook=notebook,
                grade_id=meta.get("grade_id", ""),
                points=float(meta.get("points", 0) or 0),
                skills=tuple(cmeta.get("skills", [])),
                exercise=cmeta.get("exercise"),
                kind="manual" if meta.get("solution") else "autograded",
            )
        )
    return cells


def exercises(nb) -> dict[str, Exercise]:
    """Group a notebook's cells by their ``metadata.certlab.exercise`` name, in order."""
    found: dict[str, Exercise] = {}
    for index, cell in enumerate(nb.cells):
        name = certlab_meta(cell).get("exercise")
        if not name:
            continue
        ex = found.setdefault(name, Exercise(name))
        role = certlab_meta(cell).get("role")
        if role == "hints":
            ex.hint_indices.append(index)
        elif is_test(cell) or (is_graded(cell) and nbgrader_meta(cell).get("solution")):
            ex.test_indices.append(index)
        if nbgrader_meta(cell).get("solution"):
            ex.answer_index = index
    return found
