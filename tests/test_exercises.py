"""Is every exercise correct? The reference earns full marks, the release stub earns nothing, and
each recorded wrong answer loses exactly the points it should (tests/wrong_answers/*.yml).

Every submission is autograded by nbgrader itself in a scratch course, so these are the scores a
learner or an instructor would see.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml

from certlab.course import Course
from certlab.grading import ScratchCourse, reference_notebook, release_notebook, with_answers
from certlab.notebooks import certlab_meta, is_test

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
WRONG = Path(__file__).resolve().parent / "wrong_answers"
COURSE = Course(REPO)
WRITTEN = [a.id for a in COURSE.written]
# One xdist worker grades all submissions of an assignment (graded() caches per process).
BY_ASSIGNMENT = [pytest.param(a, marks=pytest.mark.xdist_group(a)) for a in WRITTEN]


def wrong_cases(assignment: str) -> list[dict]:
    path = WRONG / f"{assignment}.yml"
    return (yaml.safe_load(path.read_text()) or {}).get("cases", []) if path.exists() else []


def exercise_of(assignment: str) -> dict[str, str]:
    """Test-cell grade id -> exercise name."""
    out = {}
    for nb in reference_notebook(COURSE, assignment).values():
        for cell in nb.cells:
            if is_test(cell):
                out[cell.metadata.nbgrader.grade_id] = certlab_meta(cell).get("exercise")
    return out


def exercises_in(nb) -> set[str]:
    return {certlab_meta(c).get("exercise") for c in nb.cells if certlab_meta(c).get("exercise")}


@cache
def graded(assignment: str) -> dict[str, dict]:
    """Grade the reference, the stub and every wrong-answer case of one assignment once."""
    ref = reference_notebook(COURSE, assignment)
    results = {}
    with ScratchCourse(COURSE, assignment) as scratch:
        results["reference"] = scratch.grade("reference", ref)
        results["stub"] = scratch.grade("stub", release_notebook(COURSE, assignment))
        for case in wrong_cases(assignment):
            answers = case["answers"]
            owned = {name: {ex: answers[ex] for ex in exercises_in(nb) & set(answers)} for name, nb in ref.items()}
            unplaced = set(answers) - {ex for sub in owned.values() for ex in sub}
            assert not unplaced, f"{case['name']}: no answer cell for {sorted(unplaced)}"
            subs = {name: with_answers(nb, owned[name]) for name, nb in ref.items()}
            results[case["name"]] = scratch.grade(case["name"].replace("_", "-"), subs)
    return results


def cells(result) -> dict:
    return {gid: c for nb in result for gid, c in nb.cells.items()}


@pytest.mark.parametrize("assignment", BY_ASSIGNMENT)
def test_reference_gets_full_marks(assignment):
    """Does the reference solution pass every test cell?"""
    scores = cells(graded(assignment)["reference"])
    assert scores, f"{assignment} has no graded cells"
    short = {gid: (c.score, c.max_score) for gid, c in scores.items() if not c.full and not c.needs_manual}
    assert not short, f"reference loses points in {short}"


@pytest.mark.parametrize("assignment", BY_ASSIGNMENT)
def test_release_stub_gets_nothing(assignment):
    """Does the release stub fail every autograded test cell?"""
    scores = cells(graded(assignment)["stub"])
    earned = {gid: c.score for gid, c in scores.items() if c.score > 0}
    assert not earned, f"the unanswered notebook earns points in {earned}"


@pytest.mark.parametrize("assignment", BY_ASSIGNMENT)
def test_every_exercise_has_a_wrong_answer(assignment):
    """Is every autograded exercise covered by at least one recorded wrong answer?"""
    exercises = {ex for ex in exercise_of(assignment).values() if ex}
    covered = {ex for case in wrong_cases(assignment) for ex in case.get("fail", [])}
    assert exercises - covered == set(), f"no wrong answer recorded for {sorted(exercises - covered)}"


CASES = [
    pytest.param(a, c["name"], marks=pytest.mark.xdist_group(a), id=f"{a}-{c['name']}")
    for a in WRITTEN
    for c in wrong_cases(a)
]


@pytest.mark.parametrize(("assignment", "case"), CASES)
def test_wrong_answer_loses_exactly_its_points(assignment, case):
    """Does each wrong answer fail its own tests and leave every other test cell at full marks?"""
    spec = next(c for c in wrong_cases(assignment) if c["name"] == case)
    owner = exercise_of(assignment)
    scores = cells(graded(assignment)[case])
    should_fail = set(spec["fail"])
    unknown = should_fail - set(owner.values())
    assert not unknown, f"case names unknown exercises {unknown}"
    for gid, cell in scores.items():
        if cell.needs_manual:
            continue
        if owner.get(gid) in should_fail:
            assert cell.score < cell.max_score, f"{gid}: the wrong answer ({spec['why']}) still earns full marks"
        else:
            assert cell.full, f"{gid}: loses points although only {sorted(should_fail)} were changed"
