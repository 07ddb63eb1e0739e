"""Write course notebooks with the cell metadata nbgrader and certlab expect.

A notebook in ``source/`` is the single source of truth; this module only saves typing when one
is first written (or when a test needs a fixture notebook). Example::

    nb = NotebookBuilder("a02")
    nb.md("# Linear algebra")
    nb.setup("import numpy as np\\nimport certlab\\nrng = certlab.setup()")
    nb.answer("norm", "def l2_norm(v):\\n    ### BEGIN SOLUTION\\n    ...\\n    ### END SOLUTION")
    nb.tests("norm", "assert ...", points=2, skills=["linalg.vectors"])
    nb.hints("norm", ["a nudge", "more", "nearly the answer"])
    nb.write("source/02_linear_algebra/02_linear_algebra.ipynb")

Cell ids are derived from grade ids so that rewriting a notebook gives the same file.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
HINT_LABELS = ("Hint 1: a nudge", "Hint 2: a closer look", "Hint 3: nearly the answer")


def _nbgrader(grade_id: str, *, grade: bool, solution: bool, locked: bool, points=None) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if points is not None:
        meta["points"] = points
    return meta


class NotebookBuilder:
    """Accumulates cells; ``prefix`` makes grade ids unique across the course (``a02-...``)."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.nb = new_notebook(metadata={"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}})
        self._md_count = 0

    def _add(self, cell, cell_id: str):
        cell["id"] = cell_id
        self.nb.cells.append(cell)
        return cell

    def md(self, text: str, **certlab):
        self._md_count += 1
        cell = new_markdown_cell(text.strip("\n"))
        if certlab:
            cell.metadata["certlab"] = certlab
        return self._add(cell, f"{self.prefix}-md-{self._md_count:02d}")

    def code(self, source: str):
        """An ordinary (unlocked, ungraded) code cell: demonstrations and plots."""
        self._md_count += 1
        return self._add(new_code_cell(source.strip("\n")), f"{self.prefix}-code-{self._md_count:02d}")

    def setup(self, source: str):
        """The locked setup cell: imports, seeds and data loaders."""
        grade_id = f"{self.prefix}-setup"
        cell = new_code_cell(source.strip("\n"))
        cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=False, solution=False, locked=True)
        cell.metadata["certlab"] = {"role": "setup"}
        return self._add(cell, grade_id)

    def answer(self, exercise: str, source: str):
        grade_id = f"{self.prefix}-{exercise}-answer"
        cell = new_code_cell(source.strip("\n"))
        cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=False, solution=True, locked=False)
        cell.metadata["certlab"] = {"exercise": exercise}
        return self._add(cell, grade_id)

    def written_answer(self, exercise: str, text: str, *, points: float, skills: list[str]):
        """A manually graded markdown answer (nbgrader ``solution`` and ``grade``)."""
        grade_id = f"{self.prefix}-{exercise}-answer"
        cell = new_markdown_cell(text.strip("\n"))
        cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, solution=True, locked=False, points=points)
        cell.metadata["certlab"] = {"exercise": exercise, "skills": list(skills)}
        return self._add(cell, grade_id)

    def tests(self, exercise: str, source: str, *, points: float, skills: list[str]):
        grade_id = f"{self.prefix}-{exercise}-tests"
        cell = new_code_cell(source.strip("\n"))
        cell.metadata["nbgrader"] = _nbgrader(grade_id, grade=True, solution=False, locked=True, points=points)
        cell.metadata["certlab"] = {"exercise": exercise, "skills": list(skills)}
        return self._add(cell, grade_id)

    def hints(self, exercise: str, hints: list[str]):
        """Graduated hints as collapsible ``<details>`` blocks, from a nudge to near-solution."""
        blocks = []
        for level, hint in enumerate(hints):
            label = HINT_LABELS[level] if level < len(HINT_LABELS) else f"Hint {level + 1}"
            blocks.append(f"<details><summary>{label}</summary>\n\n{hint.strip()}\n\n</details>")
        cell = new_markdown_cell("\n\n".join(blocks))
        cell.metadata["certlab"] = {"role": "hints", "exercise": exercise, "levels": len(hints)}
        return self._add(cell, f"{self.prefix}-{exercise}-hints")

    def write(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.validate(self.nb)
        nbformat.write(self.nb, str(path))
        return path
