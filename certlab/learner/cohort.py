"""``certlab report --cohort``: every student of a gradebook at a glance.

A per-student readiness table (CSV and HTML) and a skill-by-student heatmap, from any nbgrader
gradebook; skills come from the course's graded cells.
"""

from __future__ import annotations

import csv
import html
from pathlib import Path

from certlab.course import Course
from certlab.grading.nbgrader_io import db_url
from certlab.learner.mastery import exam_result, scores_from_gradebook, skill_stats


def students(db: str) -> list[str]:
    from certlab.grading.nbgrader_io import open_gradebook

    with open_gradebook(db) as gb:
        return sorted(s.id for s in gb.students)


def cohort_table(course: Course, db: str, exams: list[str]) -> tuple[list[str], list[dict]]:
    """Rows of student, points, one readiness column per exam, and one mastery column per skill."""
    cells = course.graded_cells
    skills = sorted({s for c in cells for s in c.skills})
    header = [
        "student",
        "points",
        "integrity_flags",
        *[f"readiness:{e}" for e in exams],
        *[f"skill:{s}" for s in skills],
    ]
    from certlab.grading.integrity import flagged_students

    flagged = flagged_students(db)
    rows = []
    for student in students(db):
        earned = scores_from_gradebook(db, student)
        stats = skill_stats(cells, earned)
        notes = [n for (s, _), ns in flagged.items() if s == student for n in ns]
        row = {"student": student, "points": sum(earned.values()), "integrity_flags": " | ".join(notes)}
        for e in exams:
            r = exam_result(course.blueprints[e], stats).readiness
            row[f"readiness:{e}"] = "" if r is None else round(r, 4)
        for s in skills:
            m = stats[s].mastery if s in stats else None
            row[f"skill:{s}"] = "" if m is None else round(m, 4)
        rows.append(row)
    return header, rows


def heatmap_png(header: list[str], rows: list[dict]) -> str:
    import base64
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    skills = [h for h in header if h.startswith("skill:")]
    data = np.array([[r[s] if r[s] != "" else np.nan for s in skills] for r in rows], dtype=float)
    fig, ax = plt.subplots(figsize=(min(2 + 0.28 * len(skills), 30), 1.5 + 0.3 * len(rows)))
    im = ax.imshow(data, vmin=0, vmax=1, cmap="RdYlGn", aspect="auto")
    ax.set_xticks(range(len(skills)), [s[6:] for s in skills], rotation=90, fontsize=7)
    ax.set_yticks(range(len(rows)), [r["student"] for r in rows], fontsize=8)
    fig.colorbar(im, ax=ax, label="mastery")
    ax.set_title("Skill mastery by student")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def cohort_report(course: Course, exam: str | None, csv_path: str | None, html_path: str | None, console) -> int:
    """`certlab report --cohort`: readiness per student and a skill heatmap, as CSV and HTML."""
    from rich.table import Table

    db = db_url(course.root)
    exams = [exam] if exam else sorted(e for e, bp in course.blueprints.items() if bp.get("domains"))
    header, rows = cohort_table(course, db, exams)
    table = Table(title=f"Cohort: {len(rows)} students")
    for col in ["student", "points", *exams, "integrity"]:
        table.add_column(col, justify="left" if col in ("student", "integrity") else "right")
    for r in rows:
        ready = [("—" if r[f"readiness:{e}"] == "" else f"{r[f'readiness:{e}']:.0%}") for e in exams]
        table.add_row(r["student"], f"{r['points']:g}", *ready, "flagged" if r["integrity_flags"] else "")
    console.print(table)
    if csv_path:
        with open(csv_path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
        console.print(f"wrote {csv_path}")
    if html_path:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in ["student", "points", "integrity", *exams])
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(str(r[k]))}</td>"
                for k in ["student", "points", "integrity_flags", *[f"readiness:{e}" for e in exams]]
            )
            + "</tr>"
            for r in rows
        )
        img = heatmap_png(header, rows) if rows else ""
        Path(html_path).write_text(
            f"<!doctype html><html lang=en><head><meta charset=utf-8><title>certlab cohort</title>"
            f"<style>body{{font-family:system-ui,sans-serif;margin:2rem}}td,th{{padding:.2rem .5rem;border-bottom:1px solid #ddd}}</style>"
            f"</head><body><h1>Cohort report</h1><table><tr>{head}</tr>{body}</table>"
            f'<figure><img alt="skill mastery heatmap" src="{img}" style="max-width:100%"></figure></body></html>',
            encoding="utf-8",
        )
        console.print(f"wrote {html_path}")
    return 0
