"""``certlab demo``: the whole loop on one assignment, in a scratch copy of the course.

Three learners submit: ``ada`` hands in the reference solutions, ``ben`` the untouched release
stubs, ``cleo`` the stubs with the first half of the exercises answered. nbgrader autogrades all
three into a scratch gradebook; the demo prints the gradebook and each learner's readiness for one
exam. The repository is not modified.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
from rich.console import Console
from rich.table import Table

from certlab.course import Course
from certlab.errors import CertlabError
from certlab.grading import ScratchCourse, reference_notebook, release_notebook
from certlab.learner.mastery import exam_result, scores_from_gradebook, skill_stats
from certlab.notebooks import certlab_meta, is_answer

DEMO_ASSIGNMENT = "02_linear_algebra"


def half_answered(reference: dict, release: dict) -> dict:
    """The release notebooks with the reference answer copied into the first half of the exercises."""
    out = {}
    for name, stub in release.items():
        stub = nbformat.from_dict(stub)
        ref_cells = {certlab_meta(c).get("exercise"): c for c in reference[name].cells if is_answer(c)}
        answers = [c for c in stub.cells if is_answer(c)]
        for cell in answers[: len(answers) // 2]:
            cell.source = ref_cells[certlab_meta(cell).get("exercise")].source
        out[name] = stub
    return out


def _cell(score) -> str:
    mark = "✓" if score.full else "✗"
    return f"{score.score:g}/{score.max_score:g} {mark}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def run_demo(root: Path | None, exam: str, keep: bool = False, assignment: str = DEMO_ASSIGNMENT) -> int:
    """`certlab demo`: three learners graded on a scratch copy; prints the gradebook and readiness."""
    console = Console(highlight=False)
    course = Course(root)
    if exam not in course.blueprints:
        raise CertlabError(f"unknown exam {exam!r}; choose one of {', '.join(sorted(course.blueprints))}")
    reference, release = reference_notebook(course, assignment), release_notebook(course, assignment)
    learners = {
        "ada": (reference, "reference solutions"),
        "ben": (release, "release stubs, nothing answered"),
        "cleo": (half_answered(reference, release), "first half of the exercises answered"),
    }
    start = time.perf_counter()
    with ScratchCourse(course, assignment, keep=keep) as scratch:
        results = {}
        with console.status("") as status:
            for student, (notebooks, _) in learners.items():
                status.update(f"autograding {student}'s {assignment} with nbgrader …")
                results[student] = scratch.grade(student, notebooks)
        cells = course.graded_cells
        table = Table(title=f"Gradebook: {assignment}, autograded by nbgrader")
        table.add_column("test cell")
        for student in learners:
            table.add_column(student, justify="right")
        first = results["ada"][0]
        for gid in first.cells:
            table.add_row(gid, *[_cell(results[s][0].cells[gid]) for s in learners])
        table.add_row(
            "total", *[f"{results[s][0].score:g}/{results[s][0].max_score:g}" for s in learners], end_section=True
        )
        console.print(table)
        for student, (_, what) in learners.items():
            console.print(f"  {student}: {what}")

        bp = course.blueprints[exam]
        ready = Table(title=f"Readiness for {exam}: {bp['name']}")
        ready.add_column("learner")
        for d in bp.get("domains") or []:
            ready.add_column(f"§{d['id']} ({d['weight']:.0%})", justify="right")
        ready.add_column("readiness", justify="right")
        coverage = None
        for student in learners:
            earned = scores_from_gradebook(scratch.db, student)
            result = exam_result(bp, skill_stats(cells, earned))
            coverage = result.coverage
            ready.add_row(student, *[pct(d.mastery) for d in result.domains], pct(result.readiness))
        console.print(ready)
        console.print(
            f"Coverage: the written assignments exercise {pct(coverage)} of {exam}'s skills; readiness counts "
            "unexercised domains as 0, so it grows as the course does. — means no graded cell exercises that domain yet."
        )
        if bp.get("status") in ("retired", "closed"):
            succ = bp.get("successor")
            console.print(
                f"{exam} is {bp['status']} ({bp.get('status_date')})" + (f"; successor: {succ}." if succ else ".")
            )
        if keep:
            console.print(f"scratch course kept at {scratch.root}")
    console.print(f"demo finished in {time.perf_counter() - start:.0f} s; the repository was not modified.")
    return 0
