"""``certlab grade``: nbgrader autograde for a whole course, in parallel, locally or on Dask.

The unit of work is one (student, assignment) pair; each is graded by nbgrader's own Autograde
converter, so scores and autograded notebooks are exactly nbgrader's. What makes it safe to run
in parallel:

- students and assignments are created in the gradebook by this process before any worker
  starts, so no two workers race to insert the same row;
- each pair goes to exactly one worker, and nbgrader writes a submission with
  ``update_or_create``, so a rerun replaces rows instead of duplicating them;
- SQLite gradebooks get a long busy timeout, so concurrent short writes wait for the lock instead
  of failing with "database is locked" (PostgreSQL needs nothing);
- a pair counts as graded only when its autograded notebooks exist and are newer than the
  submission, so rerunning after an interruption grades exactly what is missing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from certlab.errors import CertlabError
from certlab.grading.nbgrader_io import db_url as configured_db_url
from certlab.grading.nbgrader_io import load_config, run_converter, venv_on_path

SQLITE_TIMEOUT = 120


@dataclass
class PairResult:
    student: str
    assignment: str
    score: float = 0.0
    max_score: float = 0.0
    seconds: float = 0.0
    error: str | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class GradeRun:
    graded: list[PairResult] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def failed(self) -> list[PairResult]:
        return [r for r in self.graded if r.error]


def with_busy_timeout(url: str) -> str:
    if url.startswith("sqlite:") and "timeout=" not in url:
        return url + ("&" if "?" in url else "?") + f"timeout={SQLITE_TIMEOUT}"
    return url


def course_paths(root: Path) -> dict[str, Path]:
    config = load_config(root)
    cd = config.get("CourseDirectory", {})
    return {
        name: root / str(cd.get(f"{name}_directory", name)) for name in ("source", "release", "submitted", "autograded")
    }


def submitted_pairs(root: Path, assignments: list[str] | None) -> list[tuple[str, str]]:
    """(student, assignment) for every submission folder under submitted/."""
    submitted = course_paths(root)["submitted"]
    if not submitted.is_dir():
        raise CertlabError(f"{submitted} does not exist: nothing has been submitted or collected yet.")
    pairs = []
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir() and not p.name.startswith(".")):
        for a_dir in sorted(p for p in student_dir.iterdir() if p.is_dir()):
            if assignments is None or a_dir.name in assignments:
                pairs.append((student_dir.name, a_dir.name))
    if assignments:
        found = {a for _, a in pairs}
        missing = [a for a in assignments if a not in found]
        if missing:
            raise CertlabError(f"no submissions for {', '.join(missing)} under {submitted}")
    return pairs


MARKER = ".certlab-graded"


def _fingerprint(folder: Path) -> str:
    """Names, sizes and modification times of a submission's files."""
    parts = [
        f"{p.relative_to(folder)}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    ]
    return "\n".join(parts)


def is_graded(root: Path, student: str, assignment: str) -> bool:
    """Graded means: a worker finished this exact submission. nbgrader writes the sanitized
    notebook into autograded/ before executing it, so a notebook there proves nothing; the
    marker is written only after nbgrader has saved the scores."""
    paths = course_paths(root)
    marker = paths["autograded"] / student / assignment / MARKER
    sub = paths["submitted"] / student / assignment
    return marker.exists() and marker.read_text() == _fingerprint(sub)


def prepare_gradebook(root: Path, db: str, pairs: list[tuple[str, str]]) -> None:
    """Create students, and register assignments that the gradebook lacks (from source/)."""
    from nbgrader.api import MissingEntry

    from certlab.grading.nbgrader_io import open_gradebook

    source = course_paths(root)["source"]
    with open_gradebook(db) as gb:
        missing = []
        for assignment in sorted({a for _, a in pairs}):
            try:
                gb.find_assignment(assignment)
            except MissingEntry:
                missing.append(assignment)
        for student in sorted({s for s, _ in pairs}):
            gb.update_or_create_student(student)
    for assignment in missing:
        if not (source / assignment).is_dir():
            raise CertlabError(
                f"{assignment} is not in the gradebook and {source / assignment} does not exist: "
                "run `nbgrader generate_assignment` (or `nbgrader db assignment add`) first."
            )
        _register(root, assignment, db)


def _register(root: Path, assignment: str, db: str) -> None:
    """`nbgrader generate_assignment` into the gradebook, writing the release to a scratch folder."""
    import shutil
    import tempfile

    from nbgrader.converters import GenerateAssignment

    with tempfile.TemporaryDirectory(prefix="certlab-register-") as tmp:
        scratch = Path(tmp)
        if (root / "nbgrader_config.py").exists():
            shutil.copy2(root / "nbgrader_config.py", scratch / "nbgrader_config.py")
        shutil.copytree(course_paths(root)["source"] / assignment, scratch / "source" / assignment)
        run_converter(GenerateAssignment, scratch, assignment, db, force=True, create_assignment=True)


class NotebookTimeout(Exception):
    pass


class _Alarm:
    """A wall-clock limit for a whole notebook (nbgrader only limits single cells).

    SIGALRM interrupts the main thread wherever it is, nbgrader included, which reports its own
    generic failure; ``expired`` tells the caller that the limit was the cause. Outside the main
    thread (signals cannot be used there) it does nothing: Dask tasks run each pair in a child
    process for that reason."""

    def __init__(self, seconds: int | None):
        import threading

        self.seconds = seconds if threading.current_thread() is threading.main_thread() else None
        self.expired = False

    def _expire(self, *_):
        self.expired = True
        raise NotebookTimeout(self.message)

    @property
    def message(self) -> str:
        return f"the notebook ran longer than {self.seconds} s"

    def __enter__(self):
        if self.seconds:
            self._old = signal.signal(signal.SIGALRM, self._expire)
            signal.alarm(self.seconds)
        return self

    def __exit__(self, *exc):
        if self.seconds:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, self._old)
        return False


def autograde_pair(
    root: str,
    assignment: str,
    student: str,
    db: str,
    threads: int = 1,
    cell_timeout: int | None = None,
    notebook_timeout: int | None = None,
    sandbox: bool = True,
) -> PairResult:
    """Worker: grade one submission and return its result; never raises (errors become results,
    and a failed pair still gets its gradebook row).

    Parameters
    ----------
    root, assignment, student, db
        The course folder, the pair, and the gradebook URL.
    threads
        BLAS/framework threads for the kernel (``CERTLAB_THREADS``).
    cell_timeout, notebook_timeout
        Seconds per cell (nbgrader's ``Execute.timeout``) and for the whole notebook.
    sandbox
        Run the kernel in :mod:`certlab.grading.sandbox` (the default).
    """
    start = time.perf_counter()
    os.environ["CERTLAB_THREADS"] = str(threads)
    os.environ.setdefault("MPLBACKEND", "Agg")
    result = PairResult(student, assignment)
    try:
        tampering = _autograde(Path(root), assignment, student, db, cell_timeout, notebook_timeout, sandbox)
        result.flags = _apply_flags(Path(root), assignment, student, db, tampering)
        _mark_graded(Path(root), assignment, student)
        result.score, result.max_score = _totals(db, assignment, student)
    except CertlabError as exc:
        result.error = str(exc)
    except Exception as exc:  # a worker reports, it does not crash the run
        result.error = f"{type(exc).__name__}: {exc}"
    if result.error:
        _after_failure(root, assignment, student, db, result)
    result.seconds = time.perf_counter() - start
    return result


def _autograde(root: Path, assignment, student, db, cell_timeout, notebook_timeout, sandbox) -> dict:
    """nbgrader's Autograde for one pair, with canaries, in the sandbox, under the notebook
    timeout; returns what the canaries found (notebook name -> finding)."""
    from nbgrader.converters import Autograde

    from certlab.grading.canaries import take_findings
    from certlab.grading.sandbox import sandboxed

    take_findings()  # nothing left over from an earlier pair of this worker
    overrides = {"Execute__timeout": cell_timeout} if cell_timeout else {}
    alarm = _Alarm(notebook_timeout)
    try:
        with sandboxed(enabled=sandbox), alarm:
            run_converter(
                Autograde,
                root,
                assignment,
                db,
                student=student,
                config_overrides=overrides,
                canaries=True,
                force=True,
                create_student=False,
            )
    except (CertlabError, NotebookTimeout):
        if alarm.expired:
            raise CertlabError(alarm.message) from None
        raise
    return take_findings()


def _apply_flags(root: Path, assignment: str, student: str, db: str, tampering: dict) -> list[str]:
    """Withdraw credit after tampering (canaries) or a flagged answer cell (static scan)."""
    from certlab.grading import integrity
    from certlab.notebooks import read_notebook

    flags: list[str] = []
    for path in sorted((course_paths(root)["submitted"] / student / assignment).glob("*.ipynb")):
        found = integrity.apply(db, assignment, student, path.stem, read_notebook(path), tampering.get(path.stem))
        flags += [str(f) for f in found]
    return flags


def _mark_graded(root: Path, assignment: str, student: str) -> None:
    paths = course_paths(root)
    marker = paths["autograded"] / student / assignment / MARKER
    marker.write_text(_fingerprint(paths["submitted"] / student / assignment))


def _totals(db: str, assignment: str, student: str) -> tuple[float, float]:
    from certlab.grading.scratch import read_scores

    scores = read_scores(db, assignment, student)
    return sum(nb.score for nb in scores), sum(nb.max_score for nb in scores)


# How long a child grader may outlive its notebook timeout (start-up, nbgrader's own work and
# the integrity scan) before it is stopped from outside.
CHILD_GRACE = 120


def autograde_pair_in_child(
    root: str,
    assignment: str,
    student: str,
    db: str,
    threads: int = 1,
    cell_timeout: int | None = None,
    notebook_timeout: int | None = None,
    sandbox: bool = True,
) -> PairResult:
    """:func:`autograde_pair` in a child process of its own: the Dask task.

    A Dask worker runs tasks in threads of one process. Grading changes environment variables
    (the sandbox's kernelspec and runtime folders) and needs the main thread for its notebook
    timeout, so each pair gets its own interpreter; a child that outlives its notebook timeout
    by ``CHILD_GRACE`` seconds is stopped (SIGTERM, so that its sandbox cleans up, then SIGKILL).
    """
    start = time.perf_counter()
    args = [root, assignment, student, db, threads, cell_timeout, notebook_timeout, sandbox]
    proc = subprocess.Popen(
        [sys.executable, "-m", "certlab.grading.pool", json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    limit = notebook_timeout + CHILD_GRACE if notebook_timeout else None
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        proc.terminate()
        try:
            proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        result = PairResult(student, assignment, error=f"the grader ran longer than {limit} s and was stopped")
        _after_failure(root, assignment, student, db, result)
    else:
        lines = out.strip().splitlines()
        try:
            result = PairResult(**json.loads(lines[-1]))
        except (IndexError, ValueError, TypeError):
            tail = err.strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
            result = PairResult(student, assignment, error=f"the grading process failed: {tail[0]}")
            _after_failure(root, assignment, student, db, result)
    result.seconds = time.perf_counter() - start
    return result


def _child_main(argv: list[str]) -> None:
    """``python -m certlab.grading.pool '[root, assignment, ...]'``: one pair, its result as JSON."""

    def stop(*_):
        raise SystemExit(f"stopped by signal after {time.perf_counter() - t0:.0f} s")

    from certlab.grading.nbgrader_io import skip_slow_optional_imports

    skip_slow_optional_imports()
    t0 = time.perf_counter()
    signal.signal(signal.SIGTERM, stop)
    result = autograde_pair(*json.loads(argv[0]))
    sys.stdout.write("\n" + json.dumps(dataclasses.asdict(result)) + "\n")


def _after_failure(root: str, assignment: str, student: str, db: str, result: PairResult) -> None:
    """A failed pair still gets its one gradebook row (scored 0) and its integrity flags."""
    from certlab.grading import integrity
    from certlab.notebooks import read_notebook

    with contextlib.suppress(Exception):
        from certlab.grading.nbgrader_io import open_gradebook

        with open_gradebook(db) as gb:
            gb.update_or_create_submission(assignment, student)
    for path in sorted((course_paths(Path(root))["submitted"] / student / assignment).glob("*.ipynb")):
        with contextlib.suppress(Exception):
            flags = integrity.scan(read_notebook(path))
            result.flags += [str(f) for f in flags]
            with contextlib.suppress(Exception):
                integrity.apply(db, assignment, student, path.stem, read_notebook(path))


def grade(
    root: Path,
    assignments: list[str] | None = None,
    jobs: int | None = None,
    dask_address: str | None = None,
    force: bool = False,
    on_result=None,
    cell_timeout: int | None = None,
    notebook_timeout: int | None = None,
    sandbox: bool = True,
    require_isolation: bool = False,
) -> GradeRun:
    """Autograde every submission under ``submitted/`` (or those of ``assignments``) that is not
    graded yet (all with ``force``), ``jobs`` at a time or on the Dask cluster at
    ``dask_address``, and record the scores in the course's gradebook.

    Each pair runs nbgrader's Autograde in the sandbox (:mod:`certlab.grading.sandbox`) with
    canaries (:mod:`certlab.grading.canaries`), then the static integrity scan. A pair that
    fails for any reason gets its gradebook row with 0 and the reason; the others go on.
    ``on_result`` is called with each :class:`PairResult` as it arrives.
    ``require_isolation``: refuse to grade (``CertlabError``) where kernels cannot be isolated.
    """
    venv_on_path()
    root = root.resolve()
    data = root / "data"
    if data.is_dir():
        os.environ.setdefault("CERTLAB_DATA", str(data))
    db = with_busy_timeout(configured_db_url(root))
    pairs = submitted_pairs(root, assignments)
    run = GradeRun()
    todo = []
    for pair in pairs:
        if not force and is_graded(root, *pair):
            run.skipped.append(pair)
        else:
            todo.append(pair)
    if not todo:
        return run
    if require_isolation:
        from certlab.grading.sandbox import isolation_problem

        problem = "the sandbox is off (--no-sandbox)" if not sandbox else isolation_problem()
        if problem:
            raise CertlabError(f"--require-isolation: {problem}; nothing was graded.")
    jobs = max(1, jobs or os.cpu_count() or 1)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    limits = (threads, cell_timeout, notebook_timeout, sandbox)
    from certlab.grading.sandbox import sandboxed

    with sandboxed(enabled=sandbox), _local_pool(jobs if not dask_address else 0) as pool:
        prepare_gradebook(root, db, todo)  # meanwhile the pool's workers import nbgrader
        if dask_address:
            results = _run_dask(dask_address, root, db, todo, limits)
        else:
            results = _run_local(pool, root, db, todo, limits)
        for result in results:
            run.graded.append(result)
            if on_result:
                on_result(result)
    return run


def _warm_worker() -> None:
    """Pool initializer: the imports every pair needs, paid once per worker."""
    from certlab.grading.nbgrader_io import skip_slow_optional_imports

    skip_slow_optional_imports()
    import nbclient  # noqa: F401
    import nbgrader.converters  # noqa: F401

    import certlab.grading.integrity  # noqa: F401
    import certlab.grading.scratch  # noqa: F401


@contextlib.contextmanager
def _local_pool(jobs: int):
    """``jobs`` supervised worker processes, started at once so that their imports overlap with
    the gradebook preparation in this process. A worker that dies (a kernel cannot reach it from
    its sandbox, but nbgrader itself may crash) fails its own pair only; a replacement starts."""
    from certlab.grading.workers import SupervisedPool

    with SupervisedPool(jobs, initializer=_warm_worker) as pool:
        yield pool


def _run_local(pool, root, db, todo, limits):
    notebook_timeout = limits[2]
    deadline = notebook_timeout + CHILD_GRACE if notebook_timeout else None
    tasks = [((s, a), autograde_pair, (str(root), a, s, db, *limits)) for s, a in todo]
    for (student, assignment), ok, value in pool.run(tasks, deadline=deadline):
        if ok:
            yield value
            continue
        result = PairResult(student, assignment, error=value)
        _after_failure(str(root), assignment, student, db, result)
        yield result


def _run_dask(address, root, db, todo, limits):
    try:
        from dask.distributed import Client
        from dask.distributed import as_completed as dask_completed
    except ImportError:
        raise CertlabError("--dask needs dask[distributed]: pip install 'dask[distributed]'") from None
    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise CertlabError(f"cannot reach the Dask scheduler at {address} ({exc})") from None
    with client:
        futures = [
            client.submit(
                autograde_pair_in_child, str(root), a, s, db, *limits, key=f"certlab-grade-{a}-{s}", pure=False
            )
            for s, a in todo
        ]
        owner = {f.key: (s, a) for f, (s, a) in zip(futures, todo, strict=True)}
        for future in dask_completed(futures):
            try:
                yield future.result()
            except Exception as exc:
                student, assignment = owner[future.key]
                yield PairResult(student, assignment, error=f"dask worker failed: {type(exc).__name__}: {exc}")


if __name__ == "__main__":
    _child_main(sys.argv[1:])
