"""``certlab bench``: the measurements the README quotes.

- ``bench grade``: a synthetic cohort graded twice, by ``nbgrader autograde`` (one submission after
  another) and by ``certlab grade --jobs N``; prints both times, the ratio and whether every cell
  score and every autograded notebook is identical.
- ``bench notebooks``: every written assignment's reference solution, run under the Binder-sized
  memory limit, with wall time and peak memory against the budgets of docs/architecture.md.
- ``bench check``: the whole ``certlab check`` command, as a learner runs it, on a half-answered
  notebook of each foundations assignment, against the 15 s a learner should wait at most.

Each run writes JSON to benchmarks/results/ and prints medians over ``--repeat`` runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from certlab.bench.demo import half_answered
from certlab.course import Course
from certlab.grading import reference_notebook, release_notebook
from certlab.notebooks import execution_seconds

ADDRESS = re.compile(r"0x[0-9a-f]+")


def make_cohort(course: Course, assignment: str, students: int, dest: Path) -> Path:
    """An nbgrader course at ``dest`` with ``students`` submissions: a third each of reference
    answers, untouched stubs and half-answered notebooks."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("nbgrader_config.py", "course.yml"):
        if (course.root / name).exists():
            shutil.copy2(course.root / name, dest / name)
    shutil.copytree(course.source_dir / assignment, dest / "source" / assignment)
    ref, stub = reference_notebook(course, assignment), release_notebook(course, assignment)
    kinds = [ref, stub, half_answered(ref, stub)]
    for i in range(students):
        folder = dest / "submitted" / f"learner{i:03d}" / assignment
        folder.mkdir(parents=True)
        for name, nb in kinds[i % 3].items():
            nbformat.write(nb, str(folder / f"{name}.ipynb"))
    return dest


def _bin(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def _env(course: Course) -> dict:
    env = dict(os.environ, MPLBACKEND="Agg", TF_CPP_MIN_LOG_LEVEL="2", CERTLAB_DATA=str(course.root / "data"))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def _timed(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return time.perf_counter() - start


def cell_scores(db_path: Path) -> dict[tuple[str, str, str], float]:
    """Every cell score of a gradebook: (student, notebook, grade id) -> score."""
    from certlab.grading.nbgrader_io import open_gradebook

    out = {}
    with open_gradebook(f"sqlite:///{db_path}") as gb:
        for student in gb.students:
            for sub in student.submissions:
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        out[(student.id, nb.name, grade.name)] = float(grade.score or 0.0)
    return out


def notebook_fingerprint(path: Path) -> list:
    """What a learner sees in an autograded notebook: sources, outputs and nbgrader metadata."""
    nb = nbformat.read(str(path), as_version=4)
    cells = []
    for cell in nb.cells:
        outs = []
        for out in cell.get("outputs", []):
            text = out.get("text") or out.get("evalue") or (out.get("data") or {}).get("text/plain", "")
            outs.append((out.get("output_type"), out.get("ename"), ADDRESS.sub("0x…", str(text))))
        cells.append((cell.cell_type, cell.source, json.dumps(cell.metadata.get("nbgrader", {}), sort_keys=True), outs))
    return cells


def compare_courses(a: Path, b: Path) -> tuple[bool, bool]:
    """Whether two graded courses have the same cell scores and the same autograded notebooks."""
    scores_same = cell_scores(a / "gradebook.db") == cell_scores(b / "gradebook.db")
    files_a = sorted(p.relative_to(a) for p in (a / "autograded").rglob("*.ipynb"))
    files_b = sorted(p.relative_to(b) for p in (b / "autograded").rglob("*.ipynb"))
    notebooks_same = files_a == files_b and all(
        notebook_fingerprint(a / f) == notebook_fingerprint(b / f) for f in files_a
    )
    return scores_same, notebooks_same


def cell_seconds(course_root: Path) -> float:
    """The time the kernels spent executing cells, summed over a graded course's autograded
    notebooks (nbclient's timing metadata: execute_input to execute_reply)."""
    return sum(
        execution_seconds(nbformat.read(str(p), as_version=4)) for p in (course_root / "autograded").rglob("*.ipynb")
    )


def bench_grade(course: Course, assignment: str, students: int, jobs: int, repeat: int, console) -> dict:
    """`certlab bench grade`: nbgrader autograde against certlab grade on one synthetic cohort, median of runs."""
    env = _env(course)
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="certlab-bench-") as tmp:
            nb_course = make_cohort(course, assignment, students, Path(tmp) / "nbgrader")
            cl_course = Path(tmp) / "certlab"
            shutil.copytree(nb_course, cl_course)
            for c in (nb_course, cl_course):
                _timed([_bin("nbgrader"), "generate_assignment", assignment, "--force"], c, env)
            t_nb = _timed([_bin("nbgrader"), "autograde", assignment], nb_course, env)
            t_cl = _timed([_bin("certlab"), "grade", assignment, "--jobs", str(jobs)], cl_course, env)
            scores_same, notebooks_same = compare_courses(nb_course, cl_course)
            # The floor: no grader finishes before its kernels have executed the cells, spread
            # over the jobs (certlab's own kernels: warm ones skip the imports a cold one repeats).
            floor = cell_seconds(cl_course) / jobs
            # The same run without the sandbox, on a fresh copy: what isolation costs.
            open_course = Path(tmp) / "unsandboxed"
            shutil.copytree(nb_course, open_course, ignore=shutil.ignore_patterns("autograded", "gradebook.db"))
            _timed([_bin("nbgrader"), "generate_assignment", assignment, "--force"], open_course, env)
            cmd = [_bin("certlab"), "grade", assignment, "--jobs", str(jobs), "--no-sandbox"]
            t_open = _timed(cmd, open_course, env)
            open_scores, open_notebooks = compare_courses(nb_course, open_course)
            scores_same, notebooks_same = scores_same and open_scores, notebooks_same and open_notebooks
        runs.append(
            {
                "nbgrader_s": t_nb,
                "certlab_s": t_cl,
                "ratio": t_nb / t_cl,
                "certlab_unsandboxed_s": t_open,
                "floor_s": floor,
                "scores_identical": scores_same,
                "notebooks_identical": notebooks_same,
            }
        )
        console.print(
            f"run {len(runs)}: nbgrader autograde {t_nb:.1f} s, certlab grade --jobs {jobs} {t_cl:.1f} s, "
            f"ratio {t_nb / t_cl:.2f}; without the sandbox {t_open:.1f} s; floor {floor:.1f} s "
            f"(cells executed / jobs, ratio {t_nb / floor:.2f})"
        )
    summary = {
        "command": f"certlab bench grade --assignment {assignment} --students {students} --jobs {jobs} --repeat {repeat}",
        "assignment": assignment,
        "students": students,
        "jobs": jobs,
        "cores": os.cpu_count(),
        "median_nbgrader_s": statistics.median(r["nbgrader_s"] for r in runs),
        "median_certlab_s": statistics.median(r["certlab_s"] for r in runs),
        "median_ratio": statistics.median(r["ratio"] for r in runs),
        "median_certlab_unsandboxed_s": statistics.median(r["certlab_unsandboxed_s"] for r in runs),
        "median_floor_s": statistics.median(r["floor_s"] for r in runs),
        "median_floor_ratio": statistics.median(r["nbgrader_s"] / r["floor_s"] for r in runs),
        "scores_identical": all(r["scores_identical"] for r in runs),
        "notebooks_identical": all(r["notebooks_identical"] for r in runs),
        "runs": runs,
    }
    return summary


def save(course: Course, name: str, summary: dict) -> Path:
    """Write a benchmark summary as JSON under benchmarks/results/ and return its path."""
    folder = course.root / "benchmarks" / "results"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(summary, indent=2))
    return path


CHECK_BUDGET_S = 15.0
FOUNDATIONS = ("00_self_assessment", "01_python_data", "02_linear_algebra", "03_calculus_gradient_descent",
               "04_probability_statistics")  # fmt: skip


def bench_check(course: Course, assignments: list[str] | None, repeat: int, console) -> dict:
    """Time ``certlab check`` (a new process each time: start-up, grading with the hidden tests,
    the report) on a half-answered notebook per assignment. The course's check server is
    stopped first: the very first check runs in-process and starts it, the next ones are answered
    by it (with warm kernels), as for a learner who checks again. ``--no-record`` keeps the course's
    gradebook free of benchmark learners; recording adds one gradebook write."""
    from certlab.learner import check_server

    env = dict(_env(course), CERTLAB_CHECK_SERVER="1")
    rows = []
    check_server.stop(course.root, env)  # the first check starts the server, as a learner's would
    for assignment in assignments or [a for a in FOUNDATIONS if course.assignment(a).written]:
        learner = half_answered(reference_notebook(course, assignment), release_notebook(course, assignment))
        with tempfile.TemporaryDirectory(prefix="certlab-bench-check-") as tmp:
            for name, nb in learner.items():
                path = Path(tmp) / f"{name}.ipynb"
                nbformat.write(nb, str(path))
                times, cells = [], []
                for _ in range(repeat):
                    cmd = [_bin("certlab"), "--root", str(course.root), "check", str(path), "--no-record", "--json"]
                    start = time.perf_counter()
                    proc = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True)
                    times.append(time.perf_counter() - start)
                    if proc.returncode not in (0, 1):  # 1: not every exercise passes, as intended
                        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
                    cells.append(json.loads(proc.stdout.strip().splitlines()[-1])["cell_seconds"])
                seconds, floor = statistics.median(times), statistics.median(cells)
                rows.append(
                    {"assignment": assignment, "notebook": name, "seconds": seconds, "runs": times,
                     "floor_s": floor, "cell_seconds": cells}
                )  # fmt: skip
                status = "ok" if seconds <= CHECK_BUDGET_S else "over"
                runs = ", ".join(f"{t:.1f}" for t in times)
                console.print(
                    f"{assignment}/{name}: certlab check {seconds:.1f} s (median of {repeat}: {runs} s); "
                    f"floor {floor:.1f} s (cells executed), {seconds - floor:.1f} s above it  {status}"
                )
    check_server.stop(course.root, env)
    return {
        "command": "certlab bench check " + " ".join(r["assignment"] for r in rows) + f" --repeat {repeat}",
        "budget_s": CHECK_BUDGET_S,
        "cores": os.cpu_count(),
        "rows": rows,
        "max_median_s": max((r["seconds"] for r in rows), default=0.0),
        "median_s": statistics.median(r["seconds"] for r in rows) if rows else 0.0,
        "median_floor_s": statistics.median(r["floor_s"] for r in rows) if rows else 0.0,
        "within_budget": all(r["seconds"] <= CHECK_BUDGET_S for r in rows),
    }
