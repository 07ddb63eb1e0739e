"""The rules every exercise's tests meet, checked without running a notebook.

- **Wrong-answer fixtures**: each autograded exercise has at least three recorded wrong answers
  (``tests/wrong_answers/NN_topic.yml``) of at least three different kinds. A kind names how the
  answer goes wrong, so the three cannot all be the same slip in new clothes.
- **Differential hidden tests**: each exercise whose answer is a function or a class has a hidden
  test that compares it with a reference implementation kept in the hidden part
  (``def _reference_…`` or ``class _Reference…``) on inputs drawn from a seeded generator.

``tests/wrong_answers/backlog.yml`` lists the exercises that do not meet a rule yet. The test that
enforces the rules fails for an exercise missing from the backlog and for one listed there that
now meets its rule, so the backlog can only shrink.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from certlab.notebooks import certlab_meta, is_answer, is_test

#: How a wrong answer goes wrong. A case's ``kind`` applies to all its answers; ``kinds`` maps an
#: exercise to another kind for that answer.
KINDS = {
    "edge": "an edge case the task names or implies (empty, single, ties, NaN, zero, singular, extremes)",
    "leak": "information from validation or test rows, or from the target, reaches fitting or selection",
    "method": "the prescribed method is not used: a forbidden shortcut, an inverse, a loop, "
    "refitting the caller's objects, a fixed iteration count instead of a convergence test",
    "numeric": "a numerical slip: overflow, an unclipped log, a lost square root, cancellation, dtype",
    "off-by-one": "an index, count, window or degrees-of-freedom slip",
    "formula": "the wrong formula or definition (sample vs population, micro vs macro, a missing 1/2)",
    "misread": "solves a different task: ignores a parameter, the wrong axis, order or return type",
}
#: A case whose answers are correct alternatives: every test cell must keep full marks.
CORRECT = "correct"
MIN_FIXTURES = 3
MIN_KINDS = 3

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)
REFERENCE_DEF = re.compile(r"^\s*(def _reference\w*|class _Reference\w*)", re.M)
REFERENCE_CALL = re.compile(r"\b(_reference\w*|_Reference\w*)\s*\(")
SEEDED = re.compile(r"default_rng\(|RandomState\(|random\.Random\(|@given\(|hypothesis")


@dataclass
class ExerciseRules:
    """What one exercise has, measured against the rules."""

    assignment: str
    exercise: str
    is_function: bool = False
    has_differential: bool = False
    fixtures: list[tuple[str, str]] = field(default_factory=list)  # (case name, kind)

    @property
    def kinds(self) -> set[str]:
        return {k for _, k in self.fixtures if k in KINDS}

    @property
    def meets_fixture_rule(self) -> bool:
        return len(self.fixtures) >= MIN_FIXTURES and len(self.kinds) >= MIN_KINDS

    @property
    def meets_differential_rule(self) -> bool:
        return self.has_differential or not self.is_function

    def fixture_gap(self) -> str:
        return (
            f"{len(self.fixtures)} wrong answers of kinds {sorted(self.kinds) or 'none'} "
            f"(needs {MIN_FIXTURES}, of {MIN_KINDS} kinds)"
        )


def load_cases(wrong_answers: Path, assignment: str) -> list[dict]:
    path = wrong_answers / f"{assignment}.yml"
    if not path.exists():
        return []
    return (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("cases", []) or []


def case_problems(cases: list[dict]) -> list[str]:
    """Malformed cases: an unknown kind, or a kind override for an exercise the case leaves alone."""
    out = []
    for case in cases:
        name = case.get("name", "?")
        kind = case.get("kind")
        if kind is not None and kind not in KINDS and kind != CORRECT:
            out.append(f"{name}: unknown kind {kind!r} (one of {', '.join([*KINDS, CORRECT])})")
        for ex, k in (case.get("kinds") or {}).items():
            if k not in KINDS:
                out.append(f"{name}: unknown kind {k!r} for {ex}")
            if ex not in (case.get("answers") or {}):
                out.append(f"{name}: kinds names {ex}, which the case does not answer")
        if kind == CORRECT and case.get("fail"):
            out.append(f"{name}: a '{CORRECT}' case must fail nothing")
    return out


def _defines_callable(source: str) -> bool:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # magics or a deliberately partial answer: not a function exercise
        return False
    return any(isinstance(node, (ast.FunctionDef, ast.ClassDef)) for node in tree.body)


def _is_differential(source: str) -> bool:
    hidden = "\n".join(HIDDEN.findall(source))
    defined = len(REFERENCE_DEF.findall(hidden))
    called = len(REFERENCE_CALL.findall(hidden)) - defined  # a def line matches the call pattern too
    return bool(defined and called > 0 and SEEDED.search(hidden))


def measure(assignment: str, notebooks: dict, cases: list[dict]) -> dict[str, ExerciseRules]:
    """The rules' view of every autograded exercise of one assignment (reference notebooks)."""
    out: dict[str, ExerciseRules] = {}
    answers: dict[str, list[str]] = {}
    for nb in notebooks.values():
        for cell in nb.cells:
            ex = certlab_meta(cell).get("exercise")
            if not ex:
                continue
            if is_test(cell):
                rules = out.setdefault(ex, ExerciseRules(assignment, ex))
                rules.has_differential |= _is_differential(cell.source)
            elif is_answer(cell) and cell.cell_type == "code":
                answers.setdefault(ex, []).append(cell.source)
    for ex, rules in out.items():
        rules.is_function = any(_defines_callable(src) for src in answers.get(ex, []))
    for case in cases:
        if case.get("kind") == CORRECT:
            continue
        overrides = case.get("kinds") or {}
        for ex in set(case.get("fail") or []) & set(case.get("answers") or {}):
            if ex in out:
                out[ex].fixtures.append((case.get("name", "?"), overrides.get(ex, case.get("kind") or "")))
    return out


def measure_course(course, wrong_answers: Path) -> dict[str, dict[str, ExerciseRules]]:
    """:func:`measure` for every written assignment of ``course``."""
    from certlab.grading.scratch import reference_notebook

    return {
        a.id: measure(a.id, reference_notebook(course, a.id), load_cases(wrong_answers, a.id)) for a in course.written
    }


def backlog_of(measured: dict[str, dict[str, ExerciseRules]]) -> dict[str, dict[str, list[str]]]:
    """The exercises that miss a rule, in the shape of ``tests/wrong_answers/backlog.yml``."""
    fixtures, differential = {}, {}
    for a, exercises in measured.items():
        miss_f = sorted(ex for ex, r in exercises.items() if not r.meets_fixture_rule)
        miss_d = sorted(ex for ex, r in exercises.items() if not r.meets_differential_rule)
        if miss_f:
            fixtures[a] = miss_f
        if miss_d:
            differential[a] = miss_d
    return {"fixtures": fixtures, "differential": differential}


BACKLOG_HEADER = """\
# Exercises that do not meet the test rules yet (certlab/authoring/fixture_rules.py):
#   fixtures:     fewer than 3 wrong-answer fixtures, or fewer than 3 kinds of them;
#   differential: a function exercise without a differential hidden test.
# tests/test_fixture_rules.py fails for an exercise that misses a rule and is not listed here, and
# for a listed exercise that now meets its rule: this list only shrinks. Regenerate it with
#   python -m certlab.authoring.fixture_rules --write-backlog
"""


def main(argv: list[str] | None = None) -> int:
    import argparse

    from certlab.course import Course

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="the course root")
    parser.add_argument("--write-backlog", action="store_true", help="rewrite tests/wrong_answers/backlog.yml")
    args = parser.parse_args(argv)
    root = Path(args.root)
    wrong = root / "tests" / "wrong_answers"
    measured = measure_course(Course(root), wrong)
    for a, exercises in measured.items():
        for ex, r in exercises.items():
            gaps = []
            if not r.meets_fixture_rule:
                gaps.append(r.fixture_gap())
            if not r.meets_differential_rule:
                gaps.append("no differential hidden test")
            if gaps:
                print(f"{a} {ex}: {'; '.join(gaps)}")
    if args.write_backlog:
        body = yaml.safe_dump(backlog_of(measured), sort_keys=True, width=100, default_flow_style=None)
        (wrong / "backlog.yml").write_text(BACKLOG_HEADER + body, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
