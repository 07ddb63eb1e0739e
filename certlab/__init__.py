"""certlab: graded practice for machine-learning certifications, on top of nbgrader.

The notebooks call :func:`setup` in their locked first cell, and :func:`hint` or :func:`solution`
when a learner wants help; everything else lives in the submodules (``build``, ``lint``,
``grading``, ``check``, ``report``, ``datasets`` ...) and the ``certlab`` command line. Importing
the package stays cheap: the help functions load their modules only when called.
"""

from __future__ import annotations

__version__ = "0.2.0"

from certlab.runtime import setup  # noqa: E402


def hint(exercise: str, assignment: str | None = None):
    """Show the next hint level for an exercise; see :mod:`certlab.usage`."""
    from certlab.usage import hint as _hint

    return _hint(exercise, assignment)


def solution(exercise: str, assignment: str | None = None):
    """Show the reference answer for an exercise (recorded); see :mod:`certlab.usage`."""
    from certlab.usage import solution as _solution

    return _solution(exercise, assignment)


__all__ = ["__version__", "hint", "setup", "solution"]
