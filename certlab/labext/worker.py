"""One ``certlab check`` run for the JupyterLab Check button, in a process of its own.

``python -m certlab.labext.worker NOTEBOOK [--student ID]`` prints stage lines
(``stage: ...``) on stderr while it works and, last, one line ``certlab-result: {JSON}`` on stdout: ``{"ok": true,
"result": {...}}`` with the check result, or ``{"ok": false, "error": ..., "advice": ...}``
saying what went wrong and what to do. It runs :func:`certlab.learner.check.check`, the function behind
the command, so the sandbox, the gradebook record and the scores are the command's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback

from certlab.errors import CertlabError

ADVICE_NOT_IN_COURSE = (
    "Open the notebook from the course folder (release/NN_topic/NN_topic.ipynb in the course you "
    "cloned), copy your answers into it if you worked on a copy, and press Check again."
)
ADVICE_NO_TESTS = "Check works on course assignment notebooks, the ones in release/NN_topic/."
ADVICE_DEAD_KERNEL = (
    "The grading kernel died, most often because it ran out of memory (2 GB per kernel). Look for "
    "very large arrays, endless loops or recursion in your answers, restart your kernel, and press Check again."
)
ADVICE_TIMEOUT = (
    "A cell ran longer than the time limit. Look for an endless loop or a much too large "
    "computation in your answers, and press Check again."
)
ADVICE_OTHER = (
    "Save the notebook and press Check again; if it fails the same way, run `certlab check NOTEBOOK` in a "
    "terminal to see the full message, and tell your instructor."
)


def stage(text: str) -> None:
    print(f"stage: {text}", file=sys.stderr, flush=True)


def result_dict(result) -> dict:
    """A :class:`certlab.learner.check.CheckResult` as JSON-able data (what the Check panel shows)."""
    return {
        "notebook": str(result.notebook),
        "assignment": result.assignment,
        "student": result.student,
        "hidden": result.hidden,
        "recorded": result.recorded,
        "score": result.score,
        "max_score": result.max_score,
        "passed": result.score >= result.max_score - 1e-9,
        "results": [
            {
                "exercise": r.exercise,
                "grade_id": r.grade_id,
                "score": r.score,
                "max_score": r.max_score,
                "passed": r.passed,
                "reason": r.reason,
                "next_hint": r.next_hint,
            }
            for r in result.results
        ],
        "missing": list(result.missing),
        "flags": list(result.flags),
        "timing": result.timing,
        "solutions_viewed": list(result.solutions_viewed),
        "cell_seconds": result.cell_seconds,
    }


def explain(exc: BaseException) -> dict:
    """What went wrong, in plain words, and what to do about it."""
    name = type(exc).__name__
    text = str(exc)
    if isinstance(exc, CertlabError):
        if "No course.yml" in text or "does not match any assignment" in text or "CERTLAB_ROOT" in text:
            return {
                "kind": "not_in_course",
                "error": f"This notebook is not part of the course: {text}",
                "advice": ADVICE_NOT_IN_COURSE,
            }
        if "no graded test cells" in text or "shares no test cell" in text:
            return {"kind": "not_in_course", "error": text, "advice": ADVICE_NO_TESTS}
        return {"kind": "input", "error": text, "advice": ADVICE_OTHER}
    if "DeadKernel" in name or "kernel died" in text.lower():
        return {
            "kind": "kernel_died",
            "error": f"The kernel died while grading ({name}).",
            "advice": ADVICE_DEAD_KERNEL,
        }
    if "Timeout" in name or "timed out" in text.lower():
        return {"kind": "timeout", "error": f"Grading timed out ({name}: {text[:200]}).", "advice": ADVICE_TIMEOUT}
    return {"kind": "error", "error": f"{name}: {text[:300]}", "advice": ADVICE_OTHER}


def run(notebook: str, student: str, record: bool = True) -> dict:
    try:
        stage("grading with the course's tests")
        from certlab.learner.check import check, course_root
        from certlab.learner.check_server import release_start_lock, request

        # A check server keeps a warm kernel between checks (certlab/learner/check_server.py).
        result = request(notebook, course_root(notebook), student, record)
        if result is None:
            try:
                result = check(notebook, student=student, record=record)
            finally:
                release_start_lock()
        stage("done")
        return {"ok": True, "result": result_dict(result)}
    except Exception as exc:  # every failure becomes a message for the learner
        traceback.print_exc(file=sys.stderr)
        return {"ok": False, **explain(exc)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m certlab.labext.worker")
    parser.add_argument("notebook")
    parser.add_argument("--student", default="")
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    from certlab.grading.nbgrader_io import skip_slow_optional_imports

    skip_slow_optional_imports()  # as the certlab command does: a second per check otherwise
    from certlab.learner.usage import student_id

    out = run(args.notebook, args.student or student_id(), record=not args.no_record)
    from certlab.labext.jobs import RESULT_PREFIX

    sys.stdout.write(RESULT_PREFIX + json.dumps(out) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # threads or children left by grading must not keep the answer waiting


if __name__ == "__main__":
    sys.exit(main())
