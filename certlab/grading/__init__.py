"""Grading: the trust boundary of certlab, in one place.

A submission is untrusted code written by someone who gains from a higher score. This package
holds everything that runs it and turns its outputs into grades:

- :mod:`~certlab.grading.sandbox`: every grading kernel runs inside bubblewrap namespaces (mount,
  PID, IPC, network, user) and sees its own working copy, the course's ``data/`` and the Python
  environment read-only, a private ``/tmp`` and nothing else; cgroup and rlimit limits;
- :mod:`~certlab.grading.canaries`: run-time tamper detection, checks that must fail run between
  the submission's cells; one that passes withdraws the credit after it;
- :mod:`~certlab.grading.integrity`: the static scan, a second, explanatory signal;
- :mod:`~certlab.grading.pool`: ``certlab grade``, one (student, assignment) pair per unit of
  work, in supervised worker processes or on Dask; a pair that dies costs only itself;
- :mod:`~certlab.grading.scratch`: nbgrader in a scratch course (``certlab check``, the exercise
  tests, the demo);
- :mod:`~certlab.grading.nbgrader_io`: the thin layer over nbgrader's API.

The names of :mod:`~certlab.grading.scratch` are importable from here too. They load lazily, so
that the kernel wrapper (``python -m certlab.grading.sandbox``) starts without nbgrader.
"""

from __future__ import annotations

import importlib

_SCRATCH = {
    "CellScore",
    "NotebookScores",
    "ScratchCourse",
    "read_scores",
    "reference_notebook",
    "release_notebook",
    "with_answers",
}


def __getattr__(name: str):
    if name in _SCRATCH:
        return getattr(importlib.import_module("certlab.grading.scratch"), name)
    raise AttributeError(f"module 'certlab.grading' has no attribute {name!r}")
