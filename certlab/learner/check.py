"""``certlab check NOTEBOOK``: a learner's full self-check, graded the way the instructor grades.

The notebook (anywhere on disk) is matched to its assignment, copied into a scratch nbgrader
course and autograded by nbgrader: with the hidden tests when the course's ``source/`` is there,
with the visible tests of ``release/`` when it is not (and the output says so). The learner's file
is only read. The attempt is recorded in the course gradebook under the learner's id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from certlab.course import Course, find_root, load_skills
from certlab.errors import CertlabError
from certlab.grading import NotebookScores, ScratchCourse
from certlab.grading.nbgrader_io import db_url
from certlab.learner.form_check import FormResult, check_form, is_form, render_form
from certlab.learner.usage import hint_levels, hints_used, solutions_viewed
from certlab.notebooks import certlab_meta, execution_seconds, is_test, nbgrader_meta, read_notebook

ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class ExerciseResult:
    exercise: str
    grade_id: str
    score: float
    max_score: float
    reason: str
    next_hint: str

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score - 1e-9


@dataclass
class CheckResult:
    notebook: Path
    assignment: str
    student: str
    hidden: bool
    recorded: bool
    results: list[ExerciseResult] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    timing: str | None = None
    solutions_viewed: list[str] = field(default_factory=list)
    cell_seconds: float = 0.0  # the kernel's time in the notebook's cells: the floor of a check

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.max_score for r in self.results)


def identify(course: Course, nb, path: Path) -> str:
    """The assignment a notebook belongs to: by its name, else by its test cells' grade ids."""
    ids = {a.id for a in course.written}
    if path.stem in ids:
        return path.stem
    mine = {nbgrader_meta(c).get("grade_id") for c in nb.cells if is_test(c)}
    mine.discard(None)
    by_cell = {c.grade_id: c.assignment for c in course.graded_cells}
    owners = {by_cell[g] for g in mine if g in by_cell}
    if len(owners) == 1:
        return owners.pop()
    if not mine:
        raise CertlabError(f"{path} has no graded test cells: is it a certlab assignment notebook?")
    raise CertlabError(
        f"{path} does not match any assignment of course '{course.manifest.get('course_id')}' in {course.root}: "
        "its test cells are unknown here. Check it inside the course it comes from."
    )


def pick_notebook(reference: dict, nb, path: Path) -> str:
    """Which of the assignment's notebooks this one is: by name, else by shared test cells."""
    if path.stem in reference:
        return path.stem
    mine = {nbgrader_meta(c).get("grade_id") for c in nb.cells if is_test(c)}
    overlap = {
        name: len(mine & {nbgrader_meta(c).get("grade_id") for c in ref.cells}) for name, ref in reference.items()
    }
    best = max(overlap, key=overlap.get, default=None)
    if best is None or not overlap[best]:
        raise CertlabError(f"{path} shares no test cell with any notebook of this assignment")
    return best


def failure_reason(autograded_nb, grade_id: str) -> str:
    """The error name and message of a failed test cell, never the code or traceback lines,
    which could show an expected value."""
    for cell in autograded_nb.cells:
        if nbgrader_meta(cell).get("grade_id") != grade_id:
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                ename, evalue = out.get("ename", "Error"), ANSI.sub("", out.get("evalue", "")).strip()
                if ename == "AssertionError":
                    return evalue or "a check failed (its details stay hidden)"
                if ename == "NameError":
                    return f"{evalue}: run the answer cell first, or define what the task asks for"
                if ename == "NotImplementedError":
                    return "not answered yet"
                return f"{ename}: {evalue}"[:160]
        return "no output to explain it"
    return "the test cell is missing from your notebook"


def check(
    path: str | Path,
    root: str | Path | None = None,
    student: str = "",
    record: bool = True,
) -> CheckResult | FormResult:
    """``certlab check``: grade one notebook as the instructor would, with reasons and hints.

    Parameters
    ----------
    path
        The learner's notebook (anywhere; its assignment is recognised by its id or cells).
    root
        The course folder; by default the one around ``path`` (or the working folder).
    student
        The learner id under which the attempt is recorded.
    record
        Write the attempt to the course's gradebook (``False`` grades in a scratch gradebook).

    Returns
    -------
    CheckResult or FormResult
        Per exercise: score, reason and the next hint; a mock-exam form gets its own result.
        The learner's file is never changed.
    """
    path = Path(path).resolve()
    nb = read_notebook(path)
    course = _course_of(path, root)
    if is_form(nb):  # a mock-exam form: graded against its item bank, no notebook tests
        return check_form(path, nb, course, student, record)
    assignment = identify(course, nb, path)
    tests_from, hidden = _tests_of(course, assignment)
    reference = {p.stem: read_notebook(p) for p in sorted(tests_from.glob("*.ipynb"))}
    name = pick_notebook(reference, nb, path)
    ref_nb = reference[name]
    from certlab.java import java_problem, needs_java

    if needs_java(ref_nb) and (no_java := java_problem()):
        # Every cell would fail after the setup cell: say why once; nothing is graded or recorded.
        raise CertlabError(f"{assignment} was not graded. {no_java}")
    mine, autograded = _grade(course, assignment, tests_from, student, record, name, nb)
    result = CheckResult(
        path, assignment, student, hidden, record, missing=_missing_tests(ref_nb, nb), flags=mine.flags
    )
    from certlab.learner.exam import time_status

    result.timing = time_status(nb)
    result.cell_seconds = execution_seconds(autograded)
    result.results = _exercise_results(course, assignment, student, ref_nb, mine, autograded)
    result.solutions_viewed = sorted(e for a, e in solutions_viewed(course.root, student) if a == assignment)
    return result


def course_root(path: str | Path, root: str | Path | None = None) -> Path:
    """The course folder a check of ``path`` uses (as :func:`check` finds it)."""
    return _course_of(Path(path).resolve(), root).root


def _course_of(path: Path, root: str | Path | None) -> Course:
    try:
        return Course(root or find_root(path.parent))
    except CertlabError:
        return Course(root or find_root())


def _tests_of(course: Course, assignment: str) -> tuple[Path, bool]:
    """Where the test cells come from: source/ (hidden tests too) when the course has it, else
    release/ (visible tests only); and whether the hidden tests are in."""
    source = course.source_dir / assignment
    hidden = source.is_dir() and any(source.glob("*.ipynb"))
    return (source if hidden else course.release_dir / assignment), hidden


def _missing_tests(ref_nb, nb) -> list[str]:
    """Test cells of the reference that the learner's notebook lacks (deleted or renamed)."""
    wanted = {nbgrader_meta(c).get("grade_id") for c in ref_nb.cells if is_test(c)}
    present = {nbgrader_meta(c).get("grade_id") for c in nb.cells if is_test(c)}
    return sorted(wanted - present)


# The check server keeps its scratch courses between checks (registering an assignment in a new
# gradebook costs seconds); a changed file in the tests' folder makes a new one.
KEEP_SCRATCH = False
_SCRATCH: dict[tuple, ScratchCourse] = {}


def close_scratch_courses() -> None:
    while _SCRATCH:
        _SCRATCH.popitem()[1].__exit__(None, None, None)


def _scratch_course(course: Course, assignment: str, db: str | None, tests_from: Path) -> ScratchCourse:
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in tests_from.iterdir()))
    key = (str(course.root), assignment, db, str(tests_from), stamp)
    if key not in _SCRATCH:
        for old in [k for k in _SCRATCH if k[:4] == key[:4]]:
            _SCRATCH.pop(old).__exit__(None, None, None)
        _SCRATCH[key] = ScratchCourse(course, assignment, db_url=db, source=tests_from).__enter__()
    return _SCRATCH[key]


def _grade(course: Course, assignment: str, tests_from: Path, student: str, record: bool, name: str, nb):
    """nbgrader in a scratch course (sandboxed, with canaries): the scores and the autograded notebook."""
    db = db_url(course.root) if record else None
    if KEEP_SCRATCH:
        return _grade_in(_scratch_course(course, assignment, db, tests_from), student, name, nb)
    with ScratchCourse(course, assignment, db_url=db, source=tests_from) as scratch:
        return _grade_in(scratch, student, name, nb)


def _grade_in(scratch: ScratchCourse, student: str, name: str, nb):
    scores: list[NotebookScores] = scratch.grade(student, {name: nbformat.from_dict(nb)})
    mine = next(s for s in scores if s.notebook == name)
    return mine, read_notebook(mine.autograded_path)


def _exercise_results(course: Course, assignment: str, student: str, ref_nb, mine, autograded) -> list:
    """One :class:`ExerciseResult` per test cell: score, the reason for a failure, the next hint."""
    levels = hint_levels(ref_nb)
    used = hints_used(course.root, student)
    out = []
    for cell in ref_nb.cells:
        if not is_test(cell):
            continue
        gid = nbgrader_meta(cell)["grade_id"]
        exercise = certlab_meta(cell).get("exercise") or gid
        got = mine.cells.get(gid)
        score = got.score if got else 0.0
        max_score = got.max_score if got else float(nbgrader_meta(cell).get("points", 0))
        n_levels = len(levels.get(exercise, []))
        opened = used.get((assignment, exercise), 0)
        if score >= max_score - 1e-9:
            reason, nxt = "", ""
        else:
            reason = failure_reason(autograded, gid)
            nxt = (
                f"certlab.hint('{exercise}') → level {opened + 1} of {n_levels}"
                if opened < n_levels
                else "all hints read"
            )
        out.append(ExerciseResult(exercise, gid, score, max_score, reason, nxt))
    return out


def render(result: CheckResult, console) -> None:
    """Print a check result: per exercise the points, the reason and the next hint."""
    from rich.table import Table

    if isinstance(result, FormResult):
        return render_form(result, console, load_skills())

    table = Table(title=f"{result.assignment}: {result.notebook.name} (learner {result.student})")
    table.add_column("exercise")
    table.add_column("points", justify="right")
    table.add_column("result")
    table.add_column("why")
    table.add_column("next hint")
    for r in result.results:
        mark = "[green]pass[/]" if r.passed else "[red]fail[/]"
        table.add_row(r.exercise, f"{r.score:g}/{r.max_score:g}", mark, r.reason, r.next_hint)
    table.add_row("total", f"{result.score:g}/{result.max_score:g}", "", "", "", end_section=True)
    console.print(table)
    if result.hidden:
        console.print("Graded with the hidden tests, as your instructor grades.")
    else:
        console.print(
            "[yellow]Visible tests only[/]: this copy of the course has no source/; the hidden tests run when your instructor grades."
        )
    if result.missing:
        console.print(
            f"[yellow]Missing test cells[/] {', '.join(result.missing)}: they score 0. Fetch a fresh copy of the "
            "notebook from release/ and paste your answers into it."
        )
    if result.timing:
        style = "red" if result.timing.startswith("over") else "green"
        console.print(f"Timed exam: [{style}]{result.timing}[/]")
    for flag in result.flags:
        console.print(f"[yellow]Integrity[/]: {flag}. Tests after this cell get no credit; remove it.")
    if result.solutions_viewed:
        console.print(f"Reference answers viewed: {', '.join(result.solutions_viewed)}.")
    console.print("Attempt recorded in the gradebook." if result.recorded else "Not recorded (--no-record).")
