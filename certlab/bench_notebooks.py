"""``certlab bench notebooks``: every reference solution against the budgets of docs/architecture.md.

Each source notebook runs in a fresh sandboxed kernel under a memory limit (Binder's 2 GB by
default); the table shows the median wall time and peak memory (kernel and its children, e.g.
a JVM) over ``--repeat`` runs, against 60 s (120 s for deep learning and Spark) and 1.5 GB.
"""

from __future__ import annotations

import os
import statistics

from certlab.course import Course
from certlab.errors import CertlabError
from certlab.execute import run_notebook
from certlab.grading.sandbox import sandboxed

MEMORY_BUDGET_MB = 1536
HEAVY_TRACKS = {"tensorflow", "pytorch"}
HEAVY_ASSIGNMENTS = {"21_spark_ml", "31_mock_exams"}


def time_budget(course: Course, assignment: str) -> int:
    a = course.assignment(assignment)
    return 120 if a.track in HEAVY_TRACKS or a.id in HEAVY_ASSIGNMENTS else 60


def bench_notebooks(course: Course, assignments: list[str], repeat: int, memory_limit: str, console) -> int:
    from rich.table import Table

    from certlab import bench

    ids = assignments or [a.id for a in course.written]
    for a in ids:
        if not course.assignment(a).written:
            raise CertlabError(f"{a} is planned, not written")
    os.environ.setdefault("MPLBACKEND", "Agg")
    rows, over = [], 0
    with sandboxed(memory=memory_limit):
        for a in ids:
            for path in course.source_notebooks(a):
                runs = [run_notebook(path) for _ in range(repeat)]
                errors = [r.error for r in runs if r.error]
                seconds = statistics.median(r.seconds for r in runs)
                peak = statistics.median(r.peak_mb for r in runs)
                budget = time_budget(course, a)
                ok = not errors and seconds <= budget and peak <= MEMORY_BUDGET_MB
                over += not ok
                rows.append(
                    {
                        "assignment": a,
                        "notebook": path.name,
                        "median_s": round(seconds, 1),
                        "median_peak_mb": round(peak),
                        "budget_s": budget,
                        "budget_mb": MEMORY_BUDGET_MB,
                        "ok": ok,
                        "error": errors[0] if errors else None,
                    }
                )
                status = "ok" if ok else f"[red]{errors[0] if errors else 'over budget'}[/]"
                console.print(f"{a}/{path.name}: {seconds:.1f} s, {peak:.0f} MB  {status}")
    table = Table(title=f"Reference notebooks under a {memory_limit} memory limit (median of {repeat})")
    for col in ("assignment", "notebook", "seconds", "budget", "peak MB", "budget", "status"):
        table.add_column(col, justify="left" if col in ("assignment", "notebook", "status") else "right")
    for r in rows:
        table.add_row(
            r["assignment"], r["notebook"], f"{r['median_s']:.1f}", f"{r['budget_s']}", f"{r['median_peak_mb']}",
            f"{r['budget_mb']}", "ok" if r["ok"] else "[red]over[/]",
        )  # fmt: skip
    console.print(table)
    summary = {
        "command": f"certlab bench notebooks --repeat {repeat} --memory-limit {memory_limit}",
        "cores": os.cpu_count(),
        "rows": rows,
    }
    console.print(f"saved {bench.save(course, 'notebooks', summary)}")
    return 1 if over else 0
