"""The one thing a notebook needs from the machine beyond Python: a Java runtime for Spark.

Only ``21_spark_ml`` needs it. Its setup cell calls :func:`require_java`, which looks for Java
the way PySpark's launcher does (``$JAVA_HOME/bin/java`` when ``JAVA_HOME`` is set, else
``java`` on ``PATH``) and, when there is none or it is too old, stops with one message that says
how to install it instead of PySpark's long stack trace. ``certlab check`` asks the same question
before grading such a notebook (:func:`needs_java`), and ``make setup`` says it once
(``python -m certlab.java``) without failing: everything else works without Java.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

MINIMUM = 17  # PySpark 4 runs on Java 17 or 21

HOW_TO_INSTALL = """\
The Spark notebook (21_spark_ml) needs a Java runtime, version {minimum} or later; every other notebook works without it.
Install one, then restart the kernel (or `make lab`):
  Debian, Ubuntu, Windows (WSL 2):  sudo apt-get install openjdk-17-jre-headless   (or openjdk-21-jre-headless)
  macOS (Homebrew):                 brew install openjdk@17  and  export JAVA_HOME="$(brew --prefix openjdk@17)"
  Binder:                           nothing to do: environment.yml installs OpenJDK 17"""


class JavaMissing(RuntimeError):
    """No usable Java runtime. In a notebook it shows as its message alone, without a stack trace."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of the traceback (ipykernel sends them as the error's
        # traceback; nbgrader keeps them in the autograded notebook).
        return [
            f"\x1b[0;31mJavaMissing\x1b[0m: {line}" if i == 0 else line for i, line in enumerate(str(self).splitlines())
        ]


def find_java() -> tuple[str | None, str]:
    """The java launcher PySpark would start, and where it was looked for."""
    exe = "java.exe" if sys.platform == "win32" else "java"
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / exe
        found = candidate.is_file() and os.access(candidate, os.X_OK)
        return (str(candidate) if found else None), f"JAVA_HOME={home}"
    return shutil.which(exe), "PATH"


def java_version(java: str) -> tuple[int | None, str]:
    """The major version ``java -version`` reports (8 for "1.8.0"), or None and what it printed."""
    try:
        proc = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, str(exc)
    text = (proc.stderr + proc.stdout).strip()
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if proc.returncode != 0 or not match:
        return None, text.splitlines()[0] if text else f"exit code {proc.returncode}"
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8.0_392" is Java 8
        major = int(match.group(2))
    return major, text.splitlines()[0]


def java_problem(minimum: int = MINIMUM) -> str | None:
    """None when a Java runtime of version ``minimum`` or later is there; else the whole message."""
    java, where = find_java()
    if java is None:
        if where == "PATH":
            what = "No Java runtime found: there is no `java` on PATH and JAVA_HOME is not set."
        else:
            what = f"No Java runtime found: {where}, but that folder has no bin/java."
    else:
        major, said = java_version(java)
        if major is None:
            # macOS has a /usr/bin/java stub that only says "Unable to locate a Java Runtime".
            what = f"No working Java runtime: `{java} -version` said: {said}"
        elif major < minimum:
            what = f"Java {major} found ({java}), but Spark needs Java {minimum} or later."
        else:
            return None
    return what + "\n" + HOW_TO_INSTALL.format(minimum=minimum)


def require_java(minimum: int = MINIMUM) -> str:
    """The java launcher, or :class:`JavaMissing` with one message that says how to install it."""
    problem = java_problem(minimum)
    if problem:
        raise JavaMissing(problem)
    return find_java()[0]


def needs_java(nb) -> bool:
    """Does this notebook's setup cell require Java (call :func:`require_java`)?"""
    from certlab.notebooks import certlab_meta

    return any(
        cell.cell_type == "code" and certlab_meta(cell).get("role") == "setup" and "require_java(" in cell.source
        for cell in nb.cells
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m certlab.java``: say once, when Java is missing, what it is for and how to get
    it; exit 0 all the same (``--strict``: exit 1), since only the Spark notebook needs it."""
    argv = sys.argv[1:] if argv is None else argv
    problem = java_problem()
    if problem is None:
        return 0
    print(f"note: {problem}", file=sys.stderr)
    return 1 if "--strict" in argv else 0


if __name__ == "__main__":
    raise SystemExit(main())
