"""The course rules for one source notebook, one function each, in a registry.

A rule takes the :class:`Context` of a notebook and yields ``(where, message, fix)`` for every
violation it finds; :func:`certlab.lint.lint_notebook` runs them all in registry order. A new rule
is a decorated function here plus a breaking fixture in ``tests/test_lint.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from certlab.notebooks import certlab_meta, exercises, is_answer, is_graded, is_test, nbgrader_meta

GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# A string literal that starts with an absolute path: '/home/…', "C:\…", '~/…'.
ABSOLUTE_PATH = re.compile(r"""(?<![\w.])[rbfRBF]?["'](/(?!/)[A-Za-z0-9_.-]+/|~/|[A-Za-z]:\\)""")
NETWORK = re.compile(
    r"\bfetch_\w+|keras\.datasets|tensorflow_datasets|\btfds\.|\bload_dataset\s*\(|\burlopen\b|"
    r"urllib\.request|\brequests\.(get|post)\b|\bhttpx\.|torch\.hub|hf_hub_download|from_pretrained\s*\(|"
    r"get_file\s*\(|^\s*[!%]\s*(pip|wget|curl)\b",
    re.MULTILINE,
)

Finding = tuple[str, str, str]  # where, message, fix


@dataclass
class Context:
    nb: object
    skills: dict
    grade_ids: dict[str, str]  # grade id -> the notebook that uses it, across the course
    rel: str


RULES: list[tuple[str, Callable[[Context], Iterator[Finding]]]] = []


def rule(name: str):
    """Register a rule under ``name`` (the name lint prints in brackets)."""

    def register(fn: Callable[[Context], Iterator[Finding]]):
        RULES.append((name, fn))
        return fn

    return register


def where(index: int, cell) -> str:
    grade_id = nbgrader_meta(cell).get("grade_id")
    return f"cell {index}" + (f" ({grade_id})" if grade_id else "")


def _cells(ctx: Context, kind: str | None = None):
    for index, cell in enumerate(ctx.nb.cells):
        if kind is None or cell.cell_type == kind:
            yield index, cell


@rule("kernelspec")
def kernelspec(ctx: Context) -> Iterator[Finding]:
    kernel = ctx.nb.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        yield "", f"kernelspec is {kernel!r}", "select the 'Python 3' (python3) kernel and save"


@rule("setup-cell")
def setup_cell(ctx: Context) -> Iterator[Finding]:
    code = list(_cells(ctx, "code"))
    first = code[0][1] if code else None
    if first is None or certlab_meta(first).get("role") != "setup" or not nbgrader_meta(first).get("locked"):
        yield (
            where(*code[0]) if code else "",
            "the first code cell is not the locked setup cell",
            "make the first code cell read-only (nbgrader locked) with metadata certlab.role = 'setup'",
        )


@rule("skills-table")
def skills_table(ctx: Context) -> Iterator[Finding]:
    if not any(certlab_meta(c).get("role") == "skills-table" for c in ctx.nb.cells):
        yield (
            "",
            "no skills table cell",
            "add a markdown cell with metadata certlab.role = 'skills-table' and run `certlab build`",
        )


@rule("clean")
def clean(ctx: Context) -> Iterator[Finding]:
    for index, cell in _cells(ctx, "code"):
        if cell.get("outputs"):
            yield where(index, cell), "has outputs", "clear outputs (Edit > Clear Outputs of All Cells) and save"
        if cell.get("execution_count") is not None:
            yield where(index, cell), "has an execution count", "clear outputs and save"


@rule("abs-path")
def absolute_paths(ctx: Context) -> Iterator[Finding]:
    for index, cell in _cells(ctx, "code"):
        for m in ABSOLUTE_PATH.finditer(cell.source):
            yield (
                where(index, cell),
                f"absolute path {m.group(1)!r}…",
                "use certlab.datasets or a path relative to the notebook",
            )


@rule("network")
def network(ctx: Context) -> Iterator[Finding]:
    for index, cell in _cells(ctx, "code"):
        for m in NETWORK.finditer(cell.source):
            yield (
                where(index, cell),
                f"network loader {m.group(0).strip()!r}",
                "load data with certlab.datasets (offline) instead",
            )


@rule("solution-region")
def solution_regions(ctx: Context) -> Iterator[Finding]:
    for index, cell in _cells(ctx):
        src, here = cell.source, where(index, cell)
        if (BEGIN_SOLUTION in src or END_SOLUTION in src) and not nbgrader_meta(cell).get("solution"):
            yield (
                here,
                "solution markers outside an answer cell",
                "move the solution into a cell marked as an nbgrader answer",
            )
        if src.count(BEGIN_SOLUTION) != src.count(END_SOLUTION):
            yield here, "unbalanced BEGIN/END SOLUTION markers", "close every ### BEGIN SOLUTION with ### END SOLUTION"
        if (BEGIN_HIDDEN in src or END_HIDDEN in src) and not is_test(cell):
            yield here, "hidden-test markers outside a test cell", "keep hidden tests inside autograded test cells"
        if src.count(BEGIN_HIDDEN) != src.count(END_HIDDEN):
            yield here, "unbalanced BEGIN/END HIDDEN TESTS markers", "close every ### BEGIN HIDDEN TESTS"


@rule("grade-id")
def grade_ids(ctx: Context) -> Iterator[Finding]:
    for index, cell in _cells(ctx):
        gid = nbgrader_meta(cell).get("grade_id")
        if gid is None:
            continue
        gid = str(gid)
        if not GRADE_ID.match(gid):
            yield (
                where(index, cell),
                f"grade id {gid!r} has characters other than letters, digits, - and _",
                "rename it",
            )
        if gid in ctx.grade_ids:
            yield (
                where(index, cell),
                f"grade id {gid!r} is also used in {ctx.grade_ids[gid]}",
                "grade ids must be unique across the course: prefix them with the assignment, e.g. a02-",
            )
        else:
            ctx.grade_ids[gid] = ctx.rel


@rule("points")
def points(ctx: Context) -> Iterator[Finding]:
    for index, cell in _cells(ctx):
        value = nbgrader_meta(cell).get("points")
        if is_graded(cell) and (not isinstance(value, (int, float)) or value <= 0):
            yield where(index, cell), f"graded cell has points {value!r}", "give it a positive number of points"


@rule("skills")
def skill_tags(ctx: Context) -> Iterator[Finding]:
    for index, cell in _cells(ctx):
        if not is_graded(cell):
            continue
        tags = certlab_meta(cell).get("skills")
        if not tags:
            yield (
                where(index, cell),
                "graded cell has no skill tags",
                "add metadata certlab.skills = ['<skill id from certlab/skills.yml>']",
            )
        for tag in tags or []:
            if tag not in ctx.skills:
                yield (
                    where(index, cell),
                    f"unknown skill {tag!r}",
                    "use an id from certlab/skills.yml (or add it there)",
                )


@rule("exercise")
def exercise_parts(ctx: Context) -> Iterator[Finding]:
    for index, cell in _cells(ctx):
        if is_answer(cell) and not certlab_meta(cell).get("exercise"):
            yield (
                where(index, cell),
                "answer cell without an exercise name",
                "set metadata certlab.exercise and use the same name on its tests and hints",
            )
    for name, ex in exercises(ctx.nb).items():
        if ex.answer_index is None:
            yield "", f"exercise {name!r} has no answer cell", "add the answer cell or fix the exercise name"
        if not ex.test_indices:
            yield "", f"exercise {name!r} has no graded test cell", "add a test cell with the same certlab.exercise"
        if not ex.hint_indices and any(is_test(ctx.nb.cells[i]) for i in ex.test_indices):
            yield (
                "",
                f"exercise {name!r} has no hints",
                "add a hints cell (certlab.role = 'hints') with the same exercise name",
            )
