"""``certlab report``: mastery per skill, per exam domain, and readiness per exam, with coverage.

The figures follow docs/architecture.md (see ``certlab.mastery``). Every readiness figure is shown beside its
coverage, retired or closed exams are labelled with their successor, and the report ends with the
weakest domains and the next assignments to do. ``--html FILE`` writes a self-contained page with
the charts embedded as images.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field

from certlab.course import Course
from certlab.errors import CertlabError
from certlab.exam import MockSummary, mock_summary
from certlab.grading.nbgrader_io import db_url
from certlab.mastery import ExamResult, SkillStat, exam_result, scores_from_gradebook, skill_stats
from certlab.usage import hints_used, solutions_viewed


@dataclass
class LearnerReport:
    student: str
    stats: dict[str, SkillStat]
    exams: list[ExamResult]
    next_assignments: list[str]
    hints: int
    solutions: int
    attempted: list[str]
    mocks: dict[str, MockSummary] = field(default_factory=dict)  # exam -> mock-exam hand-ins


def exam_label(bp: dict) -> str:
    status = bp.get("status", "")
    if status in ("retired", "closed"):
        succ = bp.get("successor")
        label = f"{status} {bp.get('status_date')}"
        return label + (f" → {succ}" if succ else ", no successor")
    return status


def next_assignments(course: Course, result: ExamResult, earned: dict[str, float], n: int = 3) -> list[str]:
    """Written assignments that teach the weakest domains' skills and still have points to win,
    in course order."""
    weak_skills = {s for d in result.weakest(2) for s in d.skills}
    todo = []
    for a in course.written:
        cells = [c for c in course.graded_cells if c.assignment == a.id and weak_skills & set(c.skills)]
        if cells and sum(min(earned.get(c.grade_id, 0.0), c.points) for c in cells) < sum(c.points for c in cells):
            todo.append(a.id)
    return todo[:n]


def learner_report(course: Course, student: str, exam: str | None = None, db: str | None = None) -> LearnerReport:
    blueprints = course.blueprints
    if exam and exam not in blueprints:
        raise CertlabError(f"unknown exam {exam!r}; choose one of {', '.join(sorted(blueprints))}")
    earned = scores_from_gradebook(db or db_url(course.root), student)
    stats = skill_stats(course.graded_cells, earned)
    chosen = [exam] if exam else sorted(blueprints)
    exams = [exam_result(blueprints[e], stats) for e in chosen]
    # A retired exam maps onto its successor: show that one too.
    for r in list(exams):
        if r.successor and r.successor not in chosen and blueprints[r.successor].get("domains"):
            exams.append(exam_result(blueprints[r.successor], stats))
            chosen.append(r.successor)
    main = next((r for r in exams if r.readiness is not None and r.status == "active"), exams[0])
    attempted = sorted({c.assignment for c in course.graded_cells if c.grade_id in earned})
    mocks = {e: m for e in chosen if (m := mock_summary(course, student, e))}
    return LearnerReport(
        mocks=mocks,
        student=student,
        stats=stats,
        exams=exams,
        next_assignments=next_assignments(course, main, earned),
        hints=sum(hints_used(course.root, student).values()),
        solutions=len(solutions_viewed(course.root, student)),
        attempted=attempted,
    )


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def mock_cell(m: MockSummary | None) -> str:
    """Mock-exam readiness with what it rests on, e.g. "64% (2 forms, 100 items)"."""
    if m is None:
        return "no form yet"
    forms = f"{len(m.attempts)} form" + ("s" if len(m.attempts) != 1 else "")
    return f"{pct(m.readiness)} ({forms}, {m.items} items)"


def mock_column(blueprint: dict, m: MockSummary | None) -> str:
    """The report's mock-exam figure for an exam with forms; "—" for an exam without them."""
    return mock_cell(m) if (blueprint.get("format") or {}).get("kind") == "multiple-choice" else "—"


def count_cell(correct: int, items: int) -> str:
    return f"{correct}/{items} = {correct / items:.0%}" if items else "0 items"


def render_mocks(m: MockSummary, console) -> None:
    from rich.table import Table

    a_table = Table(title=f"{m.exam}: mock exam hand-ins (first check of each form)")
    for col in ("form", "handed in", "score", "result"):
        a_table.add_column(col, justify="right" if col == "score" else "left")
    for a in m.attempts:
        verdict = {True: "pass", False: "fail", None: "no pass mark"}[a.get("passed")]
        late = ", late" if a.get("over_time") else ""
        a_table.add_row(
            str(a.get("attempt")), str(a.get("time", "")), f"{a.get('score')}/{a.get('total')}", verdict + late
        )
    console.print(a_table)


def render_terminal(course: Course, report: LearnerReport, console, exam: str | None = None) -> None:
    from rich.table import Table

    bps = course.blueprints
    t = Table(title=f"Readiness of {report.student} (assignments attempted: {len(report.attempted)})")
    for col in ("exam", "status", "readiness", "coverage", "mock exams", "weakest domains"):
        t.add_column(col, justify="right" if col in ("readiness", "coverage", "mock exams") else "left")
    for r in report.exams:
        weakest = ", ".join(f"§{d.id} {pct(d.mastery)}" for d in r.weakest(2)) if r.domains else "no outline yet"
        mock = mock_column(bps[r.exam_id], report.mocks.get(r.exam_id))
        t.add_row(r.exam_id, exam_label(bps[r.exam_id]), pct(r.readiness), pct(r.coverage), mock, weakest)
    console.print(t)
    for r in report.exams if exam else []:
        m = report.mocks.get(r.exam_id)
        d_table = Table(title=f"{r.exam_id}: {r.name}")
        columns = ("domain", "weight", "mastery", "coverage") + (("mock: all forms", "mock: latest form") if m else ())
        for col in columns:
            d_table.add_column(col, justify="left" if col == "domain" else "right")
        mock_domains = {d.id: d for d in m.domains} if m else {}
        for d in r.domains:
            row = [f"§{d.id} {d.name}", f"{d.weight:.0%}", pct(d.mastery), pct(d.coverage)]
            if m:
                md = mock_domains[d.id]
                row += [count_cell(md.correct, md.items), count_cell(md.last_correct, md.last_items)]
            d_table.add_row(*row)
        console.print(d_table)
        if m:
            render_mocks(m, console)
    s_table = Table(title="Skill mastery (skills the course grades)")
    for col in ("skill", "mastery", "points"):
        s_table.add_column(col, justify="left" if col == "skill" else "right")
    for skill, st in sorted(report.stats.items(), key=lambda kv: (kv[1].mastery or 0, kv[0])):
        s_table.add_row(skill, pct(st.mastery), f"{st.earned:g}/{st.possible:g}")
    console.print(s_table)
    console.print(
        "Readiness = Σ domain weight × domain mastery; coverage = share of the exam's skills the course grades. "
        "Unattempted work counts as 0. Mock exams = Σ domain weight × share of items answered right over "
        "every hand-in of a form (`certlab exam start`), with the items behind it."
    )
    if report.next_assignments:
        console.print("Next: " + ", ".join(report.next_assignments))
    console.print(f"Hints opened: {report.hints}; reference answers viewed: {report.solutions}.")


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def charts(report: LearnerReport) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = []
    exams = [r for r in report.exams if r.readiness is not None]
    fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(exams)))
    y = range(len(exams))
    ax.barh(y, [r.coverage for r in exams], color="#d9d9d9", label="coverage")
    ax.barh(y, [r.readiness for r in exams], color="#2b7bb9", height=0.5, label="readiness")
    ax.set_yticks(list(y), [r.exam_id for r in exams])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(loc="lower right")
    ax.set_title("Readiness per exam (grey: share of the exam the course covers)")
    out.append(("Readiness per exam", _png(fig)))
    for r in exams:
        fig, ax = plt.subplots(figsize=(7, 0.5 + 0.4 * len(r.domains)))
        names = [f"§{d.id} {d.name[:38]}" for d in r.domains]
        ax.barh(names, [d.coverage for d in r.domains], color="#d9d9d9")
        ax.barh(names, [d.mastery or 0 for d in r.domains], color="#3a9d5d", height=0.5)
        ax.set_xlim(0, 1)
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_title(f"{r.exam_id}: mastery per domain (grey: coverage)")
        out.append((f"{r.exam_id} domains", _png(fig)))
    return out


def render_html(course: Course, report: LearnerReport) -> str:
    rows = []
    for r in report.exams:
        label = html.escape(exam_label(course.blueprints[r.exam_id]))
        mock = html.escape(mock_column(course.blueprints[r.exam_id], report.mocks.get(r.exam_id)))
        rows.append(
            f"<tr><td>{html.escape(r.exam_id)}</td><td>{html.escape(r.name)}</td><td>{label}</td>"
            f"<td class=n>{pct(r.readiness)}</td><td class=n>{pct(r.coverage)}</td><td class=n>{mock}</td></tr>"
        )
    skills = "".join(
        f"<tr><td>{html.escape(s)}</td><td class=n>{pct(st.mastery)}</td><td class=n>{st.earned:g}/{st.possible:g}</td></tr>"
        for s, st in sorted(report.stats.items())
    )
    images = "".join(
        f'<figure><img alt="{html.escape(t)}" src="{src}"><figcaption>{html.escape(t)}</figcaption></figure>'
        for t, src in charts(report)
    )
    nxt = ", ".join(report.next_assignments) or "nothing left in the weakest domains"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>certlab report: {html.escape(report.student)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}
table{{border-collapse:collapse;margin:1rem 0}}td,th{{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left}}
td.n{{text-align:right}}figure{{margin:1rem 0}}img{{max-width:100%}}</style></head><body>
<h1>certlab report: {html.escape(report.student)}</h1>
<p>Readiness = Σ domain weight × domain mastery. Coverage = share of an exam's skills the course grades;
unattempted work counts as 0. Mock exams = Σ domain weight × share of items right over every hand-in of
a form, with the forms and items behind it. Assignments attempted: {len(report.attempted)}.
Hints opened: {report.hints}; reference answers viewed: {report.solutions}.</p>
<h2>Exams</h2><table><tr><th>exam</th><th>name</th><th>status</th><th>readiness</th><th>coverage</th><th>mock exams</th></tr>{"".join(rows)}</table>
<p><strong>Next assignments:</strong> {html.escape(nxt)}</p>
<h2>Charts</h2>{images}
<h2>Skills</h2><table><tr><th>skill</th><th>mastery</th><th>points</th></tr>{skills}</table>
</body></html>
"""
