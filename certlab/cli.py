"""The ``certlab`` command: one entry point, one subcommand per job.

Exit codes: 0 ok, 1 checks failed, 2 bad usage or bad input (one line, no traceback).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from certlab import __version__
from certlab.errors import CertlabError


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def cmd_build(args) -> int:
    """certlab build [ASSIGNMENT...] [--check]: release/ from source/ through nbgrader."""
    from certlab.authoring.build import build
    from certlab.course import Course

    course = Course(args.root)
    result = build(course, args.assignments or None, check=args.check)
    out = _console()
    if args.check:
        stale = result.changed + result.removed
        if stale:
            _console(stderr=True).print("release/ is stale; run `certlab build` and commit:\n  " + "\n  ".join(stale))
            return 1
        out.print(f"release/ is up to date ({len(result.assignments)} assignments)")
        return 0
    for path in result.changed:
        out.print(f"wrote {path}")
    for path in result.removed:
        out.print(f"removed {path}")
    out.print(f"built {len(result.assignments)} assignments ({len(result.changed)} files changed)")
    return 0


def cmd_lint(args) -> int:
    """certlab lint: every course rule; exit 1 when anything is violated."""
    from certlab.authoring.lint import lint
    from certlab.course import Course

    course = Course(args.root)
    violations = lint(course)
    out = _console()
    for v in violations:
        out.print(str(v), markup=False)
    if violations:
        out.print(f"{len(violations)} problem(s)")
        return 1
    n = sum(len(course.source_notebooks(a.id)) for a in course.written)
    out.print(f"lint clean: {len(course.assignments)} assignments in course.yml, {n} notebooks checked")
    return 0


def cmd_check(args) -> int:
    """certlab check NOTEBOOK: grade it with the hidden tests, with reasons and hints."""
    from certlab.learner.check import check, course_root, render
    from certlab.learner.check_server import release_start_lock, request
    from certlab.learner.usage import student_id

    student, record = args.student or student_id(), not args.no_record
    # A check server keeps a warm kernel between checks (certlab/learner/check_server.py).
    result = request(args.notebook, course_root(args.notebook, args.root), student, record)
    if result is None:
        try:
            result = check(args.notebook, root=args.root, student=student, record=record)
        finally:
            release_start_lock()
    if args.json:  # for scripts and editors: what the Check panel gets, on one line
        import dataclasses
        import json

        from certlab.labext.worker import result_dict
        from certlab.learner.check import CheckResult

        data = result_dict(result) if isinstance(result, CheckResult) else dataclasses.asdict(result)
        sys.stdout.write(json.dumps(data, default=str) + "\n")
    else:
        render(result, _console())
    return 0 if result.score >= result.max_score - 1e-9 else 1


def cmd_grade(args) -> int:
    """certlab grade: autograde every submission of the course, in parallel or on Dask."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from certlab.grading.pool import grade, submitted_pairs

    root = Path(args.root or ".").resolve()
    console = _console()
    total = len(submitted_pairs(root, args.assignments or None))
    if total and not args.dask:
        from certlab.grading.sandbox import describe

        console.print("sandbox: " + ("off (--no-sandbox)" if args.no_sandbox else describe()), markup=False)
    columns = [TextColumn("grading"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("grade", total=total)

        def advance(result):
            progress.advance(task)
            if result.error:
                progress.console.print(f"[red]failed[/] {result.student}/{result.assignment}: {result.error}")

        run = grade(
            root,
            args.assignments or None,
            jobs=args.jobs,
            dask_address=args.dask,
            force=args.force,
            on_result=advance,
            cell_timeout=args.cell_timeout,
            notebook_timeout=args.notebook_timeout,
            sandbox=not args.no_sandbox,
            require_isolation=args.require_isolation,
        )
    table = Table(title=f"Autograded {len(run.graded)} submissions ({len(run.skipped)} already graded)")
    for col in ("student", "assignment", "score", "seconds", "status"):
        table.add_column(col)
    for r in sorted(run.graded, key=lambda r: (r.assignment, r.student)):
        status = "[red]failed[/]" if r.error else f"[yellow]flagged[/]: {r.flags[0]}" if r.flags else "ok"
        table.add_row(r.student, r.assignment, f"{r.score:g}/{r.max_score:g}", f"{r.seconds:.1f}", status)
    if run.graded:
        console.print(table)
    else:
        console.print(
            f"nothing to grade: all {len(run.skipped)} submissions are graded already (--force regrades them)"
        )
    for r in run.graded:
        for flag in r.flags:
            console.print(f"[yellow]integrity[/] {r.student}/{r.assignment}: {flag} (no credit for the tests after it)")
    if run.failed:
        console.print(f"{len(run.failed)} submission(s) failed; the others are in the gradebook. Rerun to retry them.")
        return 1
    return 0


def cmd_report(args) -> int:
    """certlab report: mastery and readiness for a learner, or the cohort view."""
    from certlab.course import Course
    from certlab.learner.report import learner_report, render_html, render_terminal
    from certlab.learner.usage import student_id

    course = Course(args.root)
    if args.cohort:
        from certlab.learner.cohort import cohort_report

        return cohort_report(course, exam=args.exam, csv_path=args.csv, html_path=args.html, console=_console())
    report = learner_report(course, args.student or student_id(), exam=args.exam)
    render_terminal(course, report, _console(), exam=args.exam)
    if args.html:
        Path(args.html).write_text(render_html(course, report), encoding="utf-8")
        _console().print(f"wrote {args.html}")
    return 0


def cmd_bench(args) -> int:
    """certlab bench grade|notebooks|check: the benchmarks the README quotes."""
    from certlab.bench import core as bench
    from certlab.course import Course

    course = Course(args.root)
    console = _console()
    if args.what == "grade":
        summary = bench.bench_grade(course, args.assignment, args.students, args.jobs, args.repeat, console)
        console.print(
            f"median over {args.repeat}: nbgrader autograde {summary['median_nbgrader_s']:.1f} s, "
            f"certlab grade --jobs {args.jobs} {summary['median_certlab_s']:.1f} s, "
            f"speed-up {summary['median_ratio']:.2f}x on {summary['cores']} cores "
            f"(without the sandbox {summary['median_certlab_unsandboxed_s']:.1f} s); "
            f"floor {summary['median_floor_s']:.1f} s (cells executed / jobs, {summary['median_floor_ratio']:.2f}x); "
            f"identical scores: {summary['scores_identical']}, identical notebooks: {summary['notebooks_identical']}"
        )
        console.print(f"saved {bench.save(course, 'grade', summary)}")
        return 0 if summary["scores_identical"] and summary["notebooks_identical"] else 1
    if args.what == "check":
        summary = bench.bench_check(course, args.assignments or None, args.repeat, console)
        console.print(
            f"certlab check: median {summary['median_s']:.1f} s over the notebooks, slowest "
            f"{summary['max_median_s']:.1f} s (medians of {args.repeat}), budget {summary['budget_s']:.0f} s; "
            f"floor {summary['median_floor_s']:.1f} s (median time in the cells)"
        )
        console.print(f"saved {bench.save(course, 'check', summary)}")
        return 0 if summary["within_budget"] else 1
    from certlab.bench.notebooks import bench_notebooks

    return bench_notebooks(course, args.assignments, args.repeat, args.memory_limit, console)


def cmd_exam(args) -> int:
    """certlab exam: start a timed mock-exam form (or list the exams)."""
    from certlab.course import Course
    from certlab.learner.exam import exam_overview, is_coding, start_form, start_lab

    course = Course(args.root)
    console = _console()
    if args.exam_command == "list":
        from rich.table import Table

        table = Table(title="Mock exams (`certlab exam start EXAM`)")
        for col in ("exam", "status", "form", "pass mark", "item bank", "lab"):
            table.add_column(col)
        for row in exam_overview(course):
            table.add_row(*row)
        console.print(table)
        return 0
    if args.exam_command != "start":
        args.exam_parser.print_help()
        return 2
    if args.lab or is_coding(course, args.exam):
        if args.seed is not None:
            raise CertlabError("--seed draws a form from an item bank; a lab or coding exam has none")
        path = start_lab(course, args.exam, args.minutes, Path(args.dest))
        console.print(
            f"Your {'lab' if args.lab else 'mock exam'} is at {path}. The clock started now; "
            f"`certlab check {path}` scores it and says whether you finished in time."
        )
        return 0
    path, form, minutes = start_form(course, args.exam, Path(args.dest), seed=args.seed, minutes=args.minutes)
    console.print(
        f"Your form is at {path}: {len(form.items)} questions, {minutes} minutes, seed {form.seed}. "
        f"The clock started now; hand it in with `certlab check {path}`."
    )
    return 0


def cmd_demo(args) -> int:
    """certlab demo: grade three learners on a scratch copy and print what it shows."""
    from certlab.bench.demo import run_demo

    return run_demo(Path(args.root) if args.root else None, exam=args.exam, keep=args.keep)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: one subcommand per command, -v for verbosity."""
    parser = argparse.ArgumentParser(prog="certlab", description="Graded practice for ML certifications, on nbgrader.")
    parser.add_argument("--version", action="version", version=f"certlab {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more output (-vv for debug logs)")
    parser.add_argument("--root", default=None, help="course folder (default: the nearest folder with course.yml)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("build", help="generate release/ from source/ through nbgrader")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: every written one)")
    p.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 and name the files if release/ is stale"
    )
    p.set_defaults(func=cmd_build)

    p = sub.add_parser("lint", help="check every course rule; exit 1 on any violation")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("check", help="grade your notebook with the hidden tests, with reasons and hints")
    p.add_argument("notebook", help="path to your notebook (anywhere on disk)")
    p.add_argument(
        "--student", default="", help="learner id in the gradebook (default: CERTLAB_STUDENT or your user name)"
    )
    p.add_argument("--no-record", action="store_true", help="do not write the attempt to the gradebook")
    p.add_argument("--json", action="store_true", help="print the result as one line of JSON instead of a table")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("grade", help="autograde every submission of an nbgrader course in parallel")
    p.add_argument("assignments", nargs="*", help="assignment ids (default: every submitted one)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="parallel workers (default: the core count)")
    p.add_argument(
        "--dask", default=None, metavar="ADDRESS", help="send the work to a Dask scheduler, e.g. tcp://127.0.0.1:8786"
    )
    p.add_argument("--force", action="store_true", help="regrade submissions that are already graded")
    p.add_argument("--cell-timeout", type=int, default=None, help="seconds per cell (default: nbgrader_config.py)")
    p.add_argument("--notebook-timeout", type=int, default=1800, help="seconds per notebook (default 1800)")
    p.add_argument("--no-sandbox", action="store_true", help="run kernels without certlab's sandbox and limits")
    p.add_argument(
        "--require-isolation",
        action="store_true",
        help="refuse to grade where kernels cannot be isolated (no bubblewrap, no user namespaces)",
    )
    p.set_defaults(func=cmd_grade)

    p = sub.add_parser("report", help="mastery per skill and domain, readiness per exam, with coverage")
    p.add_argument("--student", default="", help="learner id (default: CERTLAB_STUDENT or your user name)")
    p.add_argument("--exam", default=None, help="one exam id, e.g. gcp-pmle (default: all)")
    p.add_argument("--html", default=None, metavar="FILE", help="also write a self-contained HTML page with charts")
    p.add_argument(
        "--cohort", action="store_true", help="every student of the gradebook: readiness table and skill heatmap"
    )
    p.add_argument("--csv", default=None, metavar="FILE", help="with --cohort: write the table as CSV")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("bench", help="measure grading speed-up, every notebook's time and memory, or certlab check")
    p.add_argument("what", choices=["grade", "notebooks", "check"])
    p.add_argument(
        "assignments", nargs="*", help="notebooks, check: assignment ids (default: all written; check: foundations)"
    )
    p.add_argument("--assignment", default="02_linear_algebra", help="grade: the assignment of the cohort")
    p.add_argument("--students", type=int, default=30, help="grade: submissions in the synthetic cohort")
    p.add_argument("--jobs", type=int, default=2, help="grade: certlab grade --jobs")
    p.add_argument("--repeat", type=int, default=1, help="runs; figures are medians")
    p.add_argument("--memory-limit", default="2G", help="notebooks: kernel memory limit (Binder's 2 GB)")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("exam", help="timed mock exams: draw a form from the item bank, or start the lab")
    p.set_defaults(func=cmd_exam, exam_parser=p)
    actions = p.add_subparsers(dest="exam_command", metavar="ACTION")
    q = actions.add_parser("start", help="draw a form of the real length and domain mix, and start the clock")
    q.add_argument("exam", help="exam id, e.g. gcp-pmle (a retired exam without a bank uses its successor's)")
    q.add_argument("--seed", type=int, default=None, help="draw the form of this seed (default: a new one)")
    q.add_argument("--minutes", type=int, default=None, help="time limit (default: the real exam's)")
    q.add_argument("--lab", action="store_true", help="start the hands-on lab instead, scored separately")
    q.add_argument("--dest", default="my_exams", help="folder for the form (default: ./my_exams)")
    actions.add_parser("list", help="the exams, their forms, pass marks, item banks and labs")

    p = sub.add_parser("demo", help="grade three learners on a scratch copy and print the gradebook and readiness")
    p.add_argument("--exam", default="aws-mla-c01", help="exam whose readiness to show (default: aws-mla-c01)")
    p.add_argument("--keep", action="store_true", help="keep the scratch course and print where it is")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the certlab command; returns the exit code (0 ok, 1 failed checks, 2 bad usage)."""
    from certlab.grading.nbgrader_io import skip_slow_optional_imports, venv_on_path

    skip_slow_optional_imports()
    venv_on_path()
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING - 10 * min(args.verbose, 2), format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CertlabError as exc:
        _console(stderr=True).print(f"certlab {args.command}: {exc}", markup=False)
        return exc.exit_code
    except KeyboardInterrupt:
        _console(stderr=True).print("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
