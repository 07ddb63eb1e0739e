"""The progress panel's figures: those of ``certlab report``, for one learner and one course."""

from __future__ import annotations

from pathlib import Path

from certlab.course import Course, find_root
from certlab.grading.nbgrader_io import db_url
from certlab.mastery import scores_from_gradebook
from certlab.report import exam_label, learner_report
from certlab.usage import hint_levels, hints_used, record


def course_of(path: Path) -> Course:
    """The course a file (or folder) belongs to: the nearest course.yml above it."""
    return Course(find_root(path if path.is_dir() else path.parent))


def progress(course: Course, student: str) -> dict:
    """Points per written assignment, the next assignments, and readiness per exam and domain
    with coverage, computed by :func:`certlab.report.learner_report` (the numbers of the command)."""
    report = learner_report(course, student)
    earned = scores_from_gradebook(db_url(course.root), student)
    assignments = []
    for a in course.written:
        cells = [c for c in course.graded_cells if c.assignment == a.id]
        assignments.append(
            {
                "id": a.id,
                "title": a.title,
                "track": a.track,
                "earned": sum(min(earned.get(c.grade_id, 0.0), c.points) for c in cells),
                "possible": sum(c.points for c in cells),
                "attempted": a.id in report.attempted,
            }
        )
    exams = []
    for r in report.exams:
        exams.append(
            {
                "id": r.exam_id,
                "name": r.name,
                "status": r.status,
                "label": exam_label(course.blueprints[r.exam_id]),
                "readiness": r.readiness,
                "coverage": r.coverage,
                "domains": [
                    {"id": d.id, "name": d.name, "weight": d.weight, "mastery": d.mastery, "coverage": d.coverage}
                    for d in r.domains
                ],
            }
        )
    main = next((e["id"] for e in exams if e["readiness"] is not None and e["status"] == "active"), None)
    return {
        "course": course.manifest.get("course_id", course.root.name),
        "student": student,
        "assignments": assignments,
        "next_assignments": report.next_assignments,
        "exams": exams,
        "default_exam": main,
        "hints": report.hints,
        "solutions": report.solutions,
    }


def open_hint(course: Course, notebook: Path, exercise: str, student: str) -> dict:
    """Open (and record) the next hint level of an exercise, as ``certlab.hint`` does."""
    from certlab.check import identify
    from certlab.notebooks import read_notebook

    assignment = identify(course, read_notebook(notebook), notebook)
    folder = course.source_dir / assignment
    if not folder.is_dir():
        folder = course.release_dir / assignment
    levels: list = []
    for path in sorted(folder.glob("*.ipynb")):
        levels = hint_levels(read_notebook(path)).get(exercise) or []
        if levels:
            break
    if not levels:
        return {"exercise": exercise, "level": 0, "levels": 0, "label": "", "markdown": f"No hints for `{exercise}`."}
    level = min(hints_used(course.root, student).get((assignment, exercise), 0) + 1, len(levels))
    record(course.root, kind="hint", assignment=assignment, exercise=exercise, level=level, student=student)
    label, body = levels[level - 1]
    return {"exercise": exercise, "level": level, "levels": len(levels), "label": label, "markdown": body}
