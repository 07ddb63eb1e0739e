"""Do the exercises meet the test rules (certlab/authoring/fixture_rules.py)?

Every autograded exercise has at least three wrong-answer fixtures of three different kinds, and
every function exercise a differential hidden test. Exercises not there yet are listed in
tests/wrong_answers/backlog.yml, which may only shrink. No notebook runs here.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
import yaml

from certlab.authoring import fixture_rules as fr
from certlab.course import Course

REPO = Path(__file__).resolve().parent.parent
WRONG = REPO / "tests" / "wrong_answers"


@pytest.fixture(scope="module")
def measured():
    return fr.measure_course(Course(REPO), WRONG)


@pytest.fixture(scope="module")
def backlog():
    return yaml.safe_load((WRONG / "backlog.yml").read_text(encoding="utf-8")) or {}


def test_cases_are_well_formed():
    problems = [
        f"{p.stem}: {msg}"
        for p in sorted(WRONG.glob("[0-9]*.yml"))
        for msg in fr.case_problems(fr.load_cases(WRONG, p.stem))
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("rule", ["fixtures", "differential"])
def test_every_exercise_meets_the_rule_or_is_in_the_backlog(measured, backlog, rule):
    listed = {(a, ex) for a, exs in (backlog.get(rule) or {}).items() for ex in exs}
    missing, done = [], []
    for a, exercises in measured.items():
        for ex, r in exercises.items():
            ok = r.meets_fixture_rule if rule == "fixtures" else r.meets_differential_rule
            if not ok and (a, ex) not in listed:
                gap = r.fixture_gap() if rule == "fixtures" else "no differential hidden test"
                missing.append(f"{a} {ex}: {gap}")
            if ok and (a, ex) in listed:
                done.append(f"{a} {ex}")
    known = {(a, ex) for a, exercises in measured.items() for ex in exercises}
    stale = sorted(f"{a} {ex}" for a, ex in listed - known)
    assert not missing, "exercises below the rule (add fixtures or tests):\n" + "\n".join(missing)
    assert not done, "these now meet the rule: remove them from tests/wrong_answers/backlog.yml:\n" + "\n".join(done)
    assert not stale, "the backlog names exercises that do not exist:\n" + "\n".join(stale)


def _nb(answer: str, test: str) -> dict:
    nb = nbformat.v4.new_notebook()
    a = nbformat.v4.new_code_cell(answer)
    a.metadata = {
        "certlab": {"exercise": "f"},
        "nbgrader": {"solution": True, "grade": False, "grade_id": "x-f-answer"},
    }
    t = nbformat.v4.new_code_cell(test)
    t.metadata = {
        "certlab": {"exercise": "f"},
        "nbgrader": {"solution": False, "grade": True, "grade_id": "x-f-tests", "points": 1},
    }
    nb.cells = [a, t]
    return {"x": nb}


DIFFERENTIAL = """assert f(1) == 2
### BEGIN HIDDEN TESTS
def _reference_f(x):
    return 2 * x
_rng = np.random.default_rng(0)
for _x in _rng.integers(-5, 5, size=50):
    assert f(_x) == _reference_f(_x)
### END HIDDEN TESTS
"""


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        (DIFFERENTIAL, True),
        (DIFFERENTIAL.replace("default_rng(0)", "choice"), False),  # not seeded
        (DIFFERENTIAL.replace("### BEGIN HIDDEN TESTS", "").replace("### END HIDDEN TESTS", ""), False),  # visible
        (DIFFERENTIAL.replace("f(_x) == _reference_f(_x)", "f(_x) == 2 * _x"), False),  # reference never called
    ],
)
def test_differential_detection(test, expected):
    rules = fr.measure("x", _nb("def f(x):\n    return 2 * x\n", test), [])["f"]
    assert rules.is_function
    assert rules.has_differential is expected


def test_fixture_rule_counts_kinds_not_cases():
    nbs = _nb("def f(x):\n    return 2 * x\n", DIFFERENTIAL)
    same = [{"name": f"c{i}", "kind": "edge", "answers": {"f": "..."}, "fail": ["f"]} for i in range(4)]
    assert not fr.measure("x", nbs, same)["f"].meets_fixture_rule
    mixed = [
        {"name": f"c{i}", "kind": k, "answers": {"f": "..."}, "fail": ["f"]}
        for i, k in enumerate(["edge", "leak", "formula"])
    ]
    assert fr.measure("x", nbs, mixed)["f"].meets_fixture_rule
    # a case that lists f under fail but does not answer it (a knock-on failure) is not a fixture of f
    knock_on = [*mixed[:2], {"name": "c9", "kind": "formula", "answers": {"g": "..."}, "fail": ["f"]}]
    assert not fr.measure("x", nbs, knock_on)["f"].meets_fixture_rule
    # a correct alternative is never counted
    assert not fr.measure(
        "x", nbs, [*mixed[:2], {"name": "alt", "kind": "correct", "answers": {"f": "..."}, "fail": []}]
    )["f"].meets_fixture_rule


def test_malformed_cases_are_named():
    bad = [
        {"name": "a", "kind": "typo", "answers": {"f": ""}, "fail": ["f"]},
        {"name": "b", "kind": "edge", "kinds": {"g": "leak"}, "answers": {"f": ""}, "fail": ["f"]},
        {"name": "c", "kind": "correct", "answers": {"f": ""}, "fail": ["f"]},
    ]
    problems = fr.case_problems(bad)
    assert len(problems) == 3, problems
