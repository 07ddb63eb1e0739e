"""Run-time tamper detection: checks that must fail, run between a submission's cells.

Whatever makes failing code pass (an IPython input or AST transformer, a replaced ``run_cell``,
``showtraceback`` or exception handler, a patched ``numpy.testing`` or ``np.isclose`` reached
through any route, ``sys.settrace``, ctypes) makes a failing check pass too. So before nbgrader
executes a submission, a canary cell goes right before every test cell (after whatever cells the
student added there; consecutive test cells share one, since nothing of the student's runs
between them), so that each test runs in a state a canary has just been run in: code shaped like
the course's test cells (imports, underscored locals, an ``assert`` with a message) whose assertion
is false, with values, names, messages and layout drawn afresh for every run. The kernel only
ever sees cell sources, never cell metadata, so it cannot tell a canary from a test cell by
anything but its text, which changes every time.

After execution a canary that shows no error (nbgrader's own criterion for a passing test cell)
means execution was tampered with from that point on: every test cell after it gets no credit,
with the reason in the gradebook. The canaries are then removed and the execution counts
renumbered, so the autograded notebook is exactly the one nbgrader would have written.

A canary does not touch the submission's state: its names are underscored and absent from the
notebook, it imports only NumPy (as the test cells do) and draws no random numbers from the
submission's generators.
"""

from __future__ import annotations

import random
import re
import secrets

from nbformat.v4 import new_code_cell
from nbgrader.preprocessors import NbGraderPreprocessor

KEY = "certlab_canary"
NAMES = ["_v", "_w", "_x", "_z", "_got", "_want", "_res", "_out", "_ref", "_arr", "_vals", "_m", "_s", "_t", "_k"]
MESSAGES = [
    "the result has the wrong shape",
    "the values do not match the expected ones",
    "the result should be sorted",
    "the function should not change its input",
    "the result should sum to one",
    "wrong number of elements",
    "the result should be non-negative",
    "check the edge case of a single element",
    "the mean is off",
    "the norm of the result is wrong",
]
# Each template: (expression on the array, what it computes) -> value, then a perturbed value.
TEMPLATES = [
    ("np.sort({a})", lambda v: sorted(v)),
    ("np.cumsum({a})", lambda v: [sum(v[: i + 1]) for i in range(len(v))]),
    ("{a} / {a}.sum()", lambda v: [x / sum(v) for x in v]),
    ("np.abs({a} - {a}.mean())", lambda v: [abs(x - sum(v) / len(v)) for x in v]),
    ("{a} ** 2", lambda v: [x * x for x in v]),
]
# Registry of the runs in this process: notebook name -> test cells that lost their credit and
# why. Filled by CheckCanaries, read (and emptied) by the grader after nbgrader has saved grades.
FINDINGS: dict[str, dict] = {}


def _identifiers(nb) -> set[str]:
    words: set[str] = set()
    for cell in nb.cells:
        words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", cell.source))
    return words


CHECKS = 3  # assert np.allclose, assert np.isclose, np.testing.assert_allclose


def make_canary(rng: random.Random, taken: set[str], check: int | None = None) -> str:
    """The source of one canary cell: false by construction, shaped like a test cell.

    ``check`` picks the route of the failing comparison (see ``CHECKS``); consecutive canaries
    cycle through all of them, so that patching any one route is seen by the next canaries."""
    free = [n for n in NAMES if n not in taken] or [f"_c{secrets.token_hex(3)}"]
    a, b = rng.sample(free, 2) if len(free) > 1 else (free[0], free[0] + "2")
    values = [round(rng.uniform(0.5, 9.5), rng.choice([1, 2])) for _ in range(rng.randint(3, 6))]
    expr, compute = rng.choice(TEMPLATES)
    expected = [round(x, 4) for x in compute(values)]
    index = rng.randrange(len(expected))
    wrong = list(expected)
    wrong[index] = round(wrong[index] + rng.choice([-1, 1]) * rng.uniform(0.5, 3.0), 3)
    checks = [
        f"assert np.allclose({b}, {wrong!r}), {rng.choice(MESSAGES)!r}",
        f"assert np.isclose({b}[{index}], {wrong[index]!r}), {rng.choice(MESSAGES)!r}",
        f"np.testing.assert_allclose({b}, {wrong!r}, err_msg={rng.choice(MESSAGES)!r})",
    ]
    check = checks[rng.randrange(CHECKS) if check is None else check % CHECKS]
    lines = ["import numpy as np", ""] if rng.random() < 0.8 else ["import numpy as np"]
    lines += [f"{a} = np.array({values!r})", f"{b} = {expr.format(a=a)}"]
    if rng.random() < 0.5:
        lines.append(f"assert {b}.shape == {a}.shape, {rng.choice(MESSAGES)!r}")
    lines.append(check)
    return "\n".join(lines)


def _is_answer(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("solution", False) and not meta.get("grade", False)


def _is_test(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade", False) and not meta.get("solution", False)


class InsertCanaries(NbGraderPreprocessor):
    """Put a canary right before every test cell that follows anything but a test cell (before
    nbgrader's Execute). Not after answer cells: a student can add cells of their own, without
    nbgrader metadata, between an answer and its test, and tamper from there."""

    def preprocess(self, nb, resources):
        rng = random.Random(secrets.randbits(64))
        taken = _identifiers(nb)
        order = list(range(CHECKS))
        rng.shuffle(order)
        cells, n, previous = [], 0, None
        for cell in nb.cells:
            if _is_test(cell) and not (previous is not None and _is_test(previous)):
                canary = new_code_cell(make_canary(rng, taken, order[n % CHECKS]))
                n += 1
                canary.metadata[KEY] = True
                cells.append(canary)
            cells.append(cell)
            if cell.cell_type == "code":
                previous = cell
        nb.cells = cells
        return nb, resources


class CheckCanaries(NbGraderPreprocessor):
    """After Execute: find the first canary that passed, record the test cells after it, then
    remove the canaries and renumber execution counts as if they had never run."""

    def preprocess(self, nb, resources):
        tripped_at, tainted, removed = None, [], 0
        kept = []
        for cell in nb.cells:
            if cell.metadata.get(KEY):
                ran = cell.get("execution_count") is not None
                failed = any(out.get("output_type") == "error" for out in cell.get("outputs", []))
                if ran and not failed and tripped_at is None:
                    tripped_at = len(kept)
                removed += ran
                continue
            if removed and cell.cell_type == "code" and cell.get("execution_count") is not None:
                cell.execution_count -= removed
                for out in cell.get("outputs", []):
                    if out.get("execution_count") is not None:
                        out["execution_count"] -= removed
            if tripped_at is not None and _is_test(cell):
                tainted.append(cell.metadata["nbgrader"]["grade_id"])
            kept.append(cell)
        nb.cells = kept
        if tripped_at is not None:
            after = next((c for c in reversed(kept[:tripped_at]) if _is_answer(c)), None)
            where = after.metadata["nbgrader"].get("grade_id", "?") if after else "the start"
            before = f" before test cell {tainted[0]}" if tainted else ""
            FINDINGS[resources.get("unique_key", "")] = {
                "cell": where,
                "tainted": tainted,
                "reason": f"a check that must fail passed{before}: execution was tampered with",
            }
        return nb, resources


def around_execute(preprocessors: list) -> list:
    """An Autograde pipeline with the canaries around its Execute step, and a warm kernel for it
    (the course's own pipeline otherwise unchanged)."""
    from nbgrader.preprocessors import Execute

    from certlab.grading.warm import WarmSetup

    out = []
    for pp in preprocessors:
        is_execute = pp is Execute or (isinstance(pp, type) and issubclass(pp, Execute))
        # The kernel of Execute forks from a warm template (certlab.grading.warm).
        out += [WarmSetup, InsertCanaries, pp, CheckCanaries] if is_execute else [pp]
    return out


def take_findings() -> dict[str, dict]:
    """The findings of the runs since the last call (notebook name -> finding), and forget them."""
    found = dict(FINDINGS)
    FINDINGS.clear()
    return found
