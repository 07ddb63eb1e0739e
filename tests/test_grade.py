"""Does `certlab grade` give nbgrader's scores, in parallel and on Dask, without losing or
duplicating a gradebook row, surviving a failed submission and a killed run?"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from rich.console import Console

from certlab.bench.core import bench_grade, make_cohort
from certlab.cli import main
from certlab.course import Course
from certlab.grading.pool import grade

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def submissions(db_url: str) -> list[tuple[str, str]]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return sorted((s.student.id, s.assignment.name) for a in gb.assignments for s in a.submissions)


def totals(db_url: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions("01_tiny")}


@pytest.fixture
def cohort(tiny_course, tmp_path):
    def make(n: int) -> Path:
        return make_cohort(Course(tiny_course), "01_tiny", n, tmp_path / f"cohort{n}")

    return make


def expected_total(i: int) -> float:
    return [7.0, 0.0, 3.0][i % 3]  # reference, stub, first half answered (double + mean)


def test_same_scores_and_notebooks_as_nbgrader_on_12(tiny_course):
    """On 12 submissions (four of each kind), are certlab grade's cell scores and autograded
    notebooks nbgrader's, with and without the sandbox? (`certlab bench grade` runs the same
    comparison on 30 submissions of a real assignment.)"""
    summary = bench_grade(Course(tiny_course), "01_tiny", 12, 2, 1, Console(quiet=True))
    assert summary["scores_identical"] and summary["notebooks_identical"]


def test_parallel_grade_and_rerun_grades_only_missing(cohort):
    """Does a rerun skip graded work, and regrade only a submission that changed?"""
    root = cohort(6)
    run = grade(root, jobs=2)
    assert not run.failed and len(run.graded) == 6
    db = f"sqlite:///{root / 'gradebook.db'}"
    assert totals(db) == {f"learner{i:03d}": expected_total(i) for i in range(6)}
    again = grade(root, jobs=2)
    assert again.graded == [] and len(again.skipped) == 6
    os.utime(root / "submitted/learner004/01_tiny/01_tiny.ipynb")
    third = grade(root, jobs=2)
    assert [(r.student, r.assignment) for r in third.graded] == [("learner004", "01_tiny")]
    assert len(submissions(db)) == 6


def test_one_broken_submission_does_not_stop_the_run(cohort, capsys):
    """Is a malformed submission reported while every other one is graded (exit 1)?"""
    root = cohort(4)
    (root / "submitted/learner001/01_tiny/01_tiny.ipynb").write_text("{ broken")
    assert main(["--root", str(root), "grade", "--jobs", "2"]) == 1
    out = capsys.readouterr().out
    assert "learner001" in out and "failed" in out
    db = f"sqlite:///{root / 'gradebook.db'}"
    graded = totals(db)
    assert graded["learner000"] == 7.0 and graded["learner002"] == 3.0 and graded["learner003"] == 7.0


def test_cli_timeouts_reach_the_grader(cohort, capsys):
    """Do --cell-timeout and --notebook-timeout on the command line stop a runaway submission,
    and does the output say what the sandbox enforces?"""
    root = cohort(3)
    make_runaway(root, "learner000")
    argv = ["--root", str(root), "grade", "--jobs", "2", "--cell-timeout", "600", "--notebook-timeout", "15"]
    assert main(argv) == 1
    out = capsys.readouterr().out
    assert "sandbox: bubblewrap namespaces" in out or "sandbox: NO isolation" in out
    assert "learner000/01_tiny: the notebook ran longer than 15 s" in " ".join(out.split())
    assert totals(f"sqlite:///{root / 'gradebook.db'}") == {"learner000": 0.0, "learner001": 0.0, "learner002": 3.0}


def test_killed_run_then_rerun_grades_each_once(cohort):
    """Killing a run midway and rerunning: is every submission graded, each exactly once?"""
    root = cohort(12)
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    proc = subprocess.Popen(
        [str(BIN / "certlab"), "grade", "--jobs", "2"],
        cwd=root,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 300
    while time.time() < deadline and len(list((root / "autograded").glob("*/01_tiny/*.ipynb"))) < 3:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = len(list((root / "autograded").glob("*/01_tiny/*.ipynb")))
    assert 0 < done_before < 12, "the run should have been killed midway"
    run = grade(root, jobs=2)
    assert not run.failed
    assert len(run.graded) + len(run.skipped) == 12 and len(run.graded) >= 12 - done_before
    db = f"sqlite:///{root / 'gradebook.db'}"
    assert submissions(db) == [(f"learner{i:03d}", "01_tiny") for i in range(12)]
    assert totals(db) == {f"learner{i:03d}": expected_total(i) for i in range(12)}


def make_runaway(root: Path, student: str) -> None:
    """Replace the student's first answer with an endless loop."""
    path = root / "submitted" / student / "01_tiny" / "01_tiny.ipynb"
    nb = json.loads(path.read_text())
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution"))
    cell["source"] = "while True:\n    pass"
    path.write_text(json.dumps(nb))


def test_dask_local_cluster(cohort):
    """Does --dask on a LocalCluster give the same scores?"""
    from dask.distributed import LocalCluster

    root = cohort(4)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        run = grade(root, dask_address=cluster.scheduler_address)
    assert not run.failed
    assert totals(f"sqlite:///{root / 'gradebook.db'}") == {f"learner{i:03d}": expected_total(i) for i in range(4)}


def test_dask_worker_threads_and_notebook_timeout(cohort):
    """On one Dask worker running two tasks at once in threads, are the pairs kept apart (each
    its own sandbox), and does the notebook timeout stop a runaway submission?"""
    from dask.distributed import LocalCluster

    root = cohort(5)
    make_runaway(root, "learner003")
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=":0") as cluster:
        run = grade(root, dask_address=cluster.scheduler_address, cell_timeout=600, notebook_timeout=20)
    failed = {r.student: r.error for r in run.failed}
    assert list(failed) == ["learner003"] and "longer than 20 s" in failed["learner003"], failed
    expected = {f"learner{i:03d}": expected_total(i) for i in range(5)}
    assert totals(f"sqlite:///{root / 'gradebook.db'}") == {**expected, "learner003": 0.0}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dask_scheduler_and_workers_as_separate_processes(cohort):
    """Does the same work go through a scheduler and workers started as their own processes?"""
    root = cohort(4)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scratch = tempfile.mkdtemp(prefix="certlab-dask-")
    procs = [
        subprocess.Popen(
            [str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            cwd=scratch,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        procs.append(
            subprocess.Popen(
                [
                    str(BIN / "dask"),
                    "worker",
                    address,
                    "--nworkers",
                    "2",
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--local-directory",
                    scratch,
                ],
                cwd=scratch,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        from dask.distributed import Client

        deadline = time.time() + 120
        while True:
            try:
                with Client(address, timeout="5s") as client:
                    if len(client.scheduler_info()["workers"]) >= 2:
                        break
            except OSError:
                pass
            assert time.time() < deadline, "the Dask workers did not come up"
            time.sleep(1)
        run = grade(root, dask_address=address)
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
        shutil.rmtree(scratch, ignore_errors=True)
    assert not run.failed
    assert totals(f"sqlite:///{root / 'gradebook.db'}") == {f"learner{i:03d}": expected_total(i) for i in range(4)}


def test_unreachable_dask_scheduler_is_a_clear_error(cohort, capsys):
    root = cohort(1)
    assert main(["--root", str(root), "grade", "--dask", f"tcp://127.0.0.1:{free_port()}"]) == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err


@pytest.fixture
def postgres():
    """A throwaway PostgreSQL server on loopback; yields its URL."""
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    if not bins:
        pytest.skip("no PostgreSQL server binaries (make test installs the postgresql package)")
    pg = Path(bins[-1])
    base = Path(tempfile.mkdtemp(prefix="certlab-pg-", dir="/tmp"))
    os.chmod(base, 0o755)
    data, port = base / "data", free_port()
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    subprocess.run(
        [*as_user, str(pg / "initdb"), "-D", str(data), "-A", "trust", "-U", "certlab"], check=True, capture_output=True
    )
    subprocess.run(
        [
            *as_user,
            str(pg / "pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(base / "log"),
            "-o",
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [str(pg / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "certlab", "gradebook"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://certlab@127.0.0.1:{port}/gradebook"
    finally:
        subprocess.run([*as_user, str(pg / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_grade_into_postgresql(cohort, postgres):
    """Does grading in parallel into a real PostgreSQL gradebook keep one row per submission?"""
    root = cohort(6)
    with open(root / "nbgrader_config.py", "a") as fh:
        fh.write(f"\nc.CourseDirectory.db_url = {postgres!r}\n")
    run = grade(root, jobs=2)
    assert not run.failed
    assert submissions(postgres) == [(f"learner{i:03d}", "01_tiny") for i in range(6)]
    assert totals(postgres) == {f"learner{i:03d}": expected_total(i) for i in range(6)}
    assert not (root / "gradebook.db").exists()


def test_cohort_report_csv_and_html(cohort, tmp_path, capsys):
    """Does the cohort report give a readiness row per student, as CSV and as HTML with a heatmap?"""
    root = cohort(3)
    grade(root, jobs=2)
    csv_path, html_path = tmp_path / "cohort.csv", tmp_path / "cohort.html"
    assert (
        main(
            [
                "--root",
                str(root),
                "report",
                "--cohort",
                "--exam",
                "aws-mla-c01",
                "--csv",
                str(csv_path),
                "--html",
                str(html_path),
            ]
        )
        == 0
    )
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("student,points,integrity_flags,readiness:aws-mla-c01") and len(lines) == 4
    row = dict(zip(lines[0].split(","), lines[1].split(","), strict=True))
    assert row["student"] == "learner000" and float(row["readiness:aws-mla-c01"]) == pytest.approx(0.28 + 0.26)
    assert "data:image/png;base64," in html_path.read_text()
