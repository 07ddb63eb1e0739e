"""Autograde notebooks the nbgrader way, in a scratch course, and read the scores back.

This is the engine under ``certlab demo``, the exercise tests and ``certlab check``: nbgrader's
own GenerateAssignment and Autograde converters run on a temporary copy of one assignment, so
the scores are exactly nbgrader's, and the real course and gradebook are never touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from certlab.course import Course
from certlab.errors import CertlabError
from certlab.grading.nbgrader_io import run_converter, temp_env
from certlab.notebooks import certlab_meta, nbgrader_meta, read_notebook


@dataclass
class CellScore:
    grade_id: str
    score: float
    max_score: float
    needs_manual: bool = False

    @property
    def full(self) -> bool:
        return self.max_score > 0 and self.score >= self.max_score - 1e-9


@dataclass
class NotebookScores:
    student: str
    assignment: str
    notebook: str
    cells: dict[str, CellScore] = field(default_factory=dict)
    autograded_path: Path | None = None
    flags: list[str] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(c.score for c in self.cells.values())

    @property
    def max_score(self) -> float:
        return sum(c.max_score for c in self.cells.values())


def read_scores(db_url: str, assignment: str, student: str) -> list[NotebookScores]:
    """Per-cell scores of one submission, from an nbgrader gradebook."""
    from nbgrader.api import MissingEntry

    from certlab.grading.nbgrader_io import open_gradebook

    with open_gradebook(db_url) as gb:
        try:
            submission = gb.find_submission(assignment, student)
        except MissingEntry:
            raise CertlabError(f"no graded submission of {assignment} by {student} in the gradebook") from None
        out = []
        for nb in submission.notebooks:
            scores = NotebookScores(student, assignment, nb.name)
            for grade in nb.grades:
                manual = grade.auto_score is None and grade.manual_score is None
                score = grade.score if grade.score is not None else 0.0
                scores.cells[grade.name] = CellScore(grade.name, float(score), float(grade.max_score), manual)
            out.append(scores)
    return out


class ScratchCourse:
    """A temporary nbgrader course holding one assignment of a real course.

    Use as a context manager; ``grade(student, notebook)`` autogrades one submission and returns
    its per-cell scores. ``keep=True`` leaves the folder for inspection.
    """

    def __init__(
        self,
        course: Course,
        assignment: str,
        keep: bool = False,
        db_url: str | None = None,
        source: Path | None = None,
    ):
        """``db_url``: record into this gradebook instead of a scratch one (self-study attempts go
        to the course's gradebook). ``source``: the folder whose notebooks define the test cells
        (default ``source/<assignment>``; ``release/<assignment>`` grades visible tests only)."""
        self.course = course
        self.assignment = assignment
        self.keep = keep
        self.source = source or course.source_dir / assignment
        self.root: Path | None = None
        self.db = db_url

    def __enter__(self) -> ScratchCourse:
        if not self.source.is_dir():
            raise CertlabError(f"{self.source} not found: nothing defines the tests of {self.assignment}")
        self.root = Path(tempfile.mkdtemp(prefix=f"certlab-{self.assignment}-"))
        if (self.course.root / "nbgrader_config.py").exists():
            shutil.copy2(self.course.root / "nbgrader_config.py", self.root / "nbgrader_config.py")
        shutil.copytree(
            self.source,
            self.root / "source" / self.assignment,
            ignore=shutil.ignore_patterns(".ipynb_checkpoints"),
        )
        self.db = self.db or f"sqlite:///{self.root / 'gradebook.db'}"
        from nbgrader.converters import GenerateAssignment

        # Registers the assignment's cells in the gradebook (as `nbgrader generate_assignment`
        # does); the release it writes stays in the scratch folder.
        run_converter(GenerateAssignment, self.root, self.assignment, self.db, force=True, create_assignment=True)
        return self

    def __exit__(self, *exc) -> None:
        if self.root and not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def release(self) -> Path:
        return self.root / "release" / self.assignment

    def submit(self, student: str, notebooks: dict[str, nbformat.NotebookNode]) -> Path:
        """Place a submission (notebook name -> notebook) with the release's other files."""
        folder = self.root / "submitted" / student / self.assignment
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(self.release, folder)
        for path in folder.glob("*.ipynb"):
            path.unlink()
        for name, nb in notebooks.items():
            nbformat.write(nb, str(folder / f"{name}.ipynb"))
        return folder

    def grade(self, student: str, notebooks: dict[str, nbformat.NotebookNode]) -> list[NotebookScores]:
        from nbgrader.converters import Autograde

        from certlab.grading import integrity
        from certlab.grading.canaries import take_findings
        from certlab.grading.sandbox import sandboxed

        self.submit(student, notebooks)
        take_findings()
        data = str(self.course.root / "data")
        with temp_env(CERTLAB_DATA=os.environ.get("CERTLAB_DATA", data), MPLBACKEND="Agg"), sandboxed():
            run_converter(
                Autograde,
                self.root,
                self.assignment,
                self.db,
                student=student,
                canaries=True,
                force=True,
                create_student=True,
            )
        tampering = take_findings()
        flags = {
            name: integrity.apply(self.db, self.assignment, student, name, nb, tampering.get(name))
            for name, nb in notebooks.items()
        }
        scores = read_scores(self.db, self.assignment, student)
        for s in scores:
            s.autograded_path = self.root / "autograded" / student / self.assignment / f"{s.notebook}.ipynb"
            s.flags = [str(f) for f in flags.get(s.notebook, [])]
        return scores


def reference_notebook(course: Course, assignment: str) -> dict[str, nbformat.NotebookNode]:
    return {p.stem: read_notebook(p) for p in course.source_notebooks(assignment)}


def release_notebook(course: Course, assignment: str) -> dict[str, nbformat.NotebookNode]:
    paths = sorted((course.release_dir / assignment).glob("*.ipynb"))
    if not paths:
        raise CertlabError(f"release/{assignment}/ has no notebook: run `certlab build {assignment}`")
    return {p.stem: read_notebook(p) for p in paths}


def with_answers(nb: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose answer cells for the named exercises hold other code."""
    nb = nbformat.from_dict(nb)
    left = dict(answers)
    for cell in nb.cells:
        name = certlab_meta(cell).get("exercise")
        meta = nbgrader_meta(cell)
        if name in left and meta.get("solution") and not meta.get("grade"):
            cell.source = left.pop(name).rstrip("\n")
    if left:
        raise CertlabError(f"no answer cell for exercise(s) {', '.join(sorted(left))}")
    return nb
