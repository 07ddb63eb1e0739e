"""certlab: graded practice for machine-learning certifications, on top of nbgrader.

The notebooks call :func:`setup` in their locked first cell; everything else lives in the
submodules (``build``, ``lint``, ``grading``, ``mastery``, ``datasets`` ...) and the ``certlab``
command line.
"""

from __future__ import annotations

__version__ = "0.1.0"

from certlab.runtime import setup  # noqa: E402
from certlab.usage import hint, solution  # noqa: E402

__all__ = ["__version__", "hint", "setup", "solution"]
