"""``certlab check FORM.ipynb``: grade a mock-exam form against its item bank.

Only the form's answer cells are executed (in a fresh kernel); the key comes from the bank, so no
hidden tests are needed. The result: the total, pass or fail against the blueprint's passing ratio
where one is published, the score per domain, a late hand-in marked, and for every missed item its
rationale per option and the skills to revise. The first check of a form is its hand-in: it is
recorded in the usage log, and ``certlab report`` counts it; later checks regrade the same form
and say whether the answers changed since.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from nbformat.v4 import new_code_cell, new_notebook

from certlab.bank import LETTERS, Item, load_bank
from certlab.course import Course
from certlab.errors import CertlabError
from certlab.form import KERNELSPEC, Form, FormItem, draw_form, key_letters, recorded_form
from certlab.notebooks import certlab_meta
from certlab.usage import record, student_id

KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:", "--IPKernelApp.log_level=ERROR"]
DUMP = """import json as _json
print(_json.dumps({str(k): sorted(v) if isinstance(v, set) else v for k, v in answer.items()}, default=str))"""


def is_form(nb) -> bool:
    return bool(nb.metadata.get("certlab", {}).get("form"))


@dataclass
class ItemResult:
    form_item: FormItem
    item: Item
    given: str  # the learner's letters ("" when blank), or what was unreadable
    key: str
    correct: bool
    problem: str = ""  # why an answer could not be read

    @property
    def qid(self) -> str:
        return self.form_item.qid


@dataclass
class FormResult:
    notebook: Path
    exam: str
    attempt: str
    seed: int
    student: str
    recorded: bool
    blueprint: dict
    items: list[ItemResult] = field(default_factory=list)
    timing: str | None = None
    over_time: bool = False
    flags: list[str] = field(default_factory=list)  # integrity: the form or its answers were changed
    notes: list[str] = field(default_factory=list)
    handed_in: str | None = None  # time of an earlier hand-in of this form

    @property
    def score(self) -> float:
        return float(sum(r.correct for r in self.items))

    @property
    def max_score(self) -> float:
        return float(len(self.items))

    @property
    def passing(self) -> float | None:
        return (self.blueprint.get("format") or {}).get("passing")

    @property
    def passed(self) -> bool | None:
        """Pass or fail against the published ratio (None when none is published); late is a fail."""
        if self.passing is None:
            return None
        return self.score / self.max_score >= self.passing and not self.over_time

    def by_domain(self) -> list[tuple[dict, int, int]]:
        """(blueprint domain, correct, items) in blueprint order."""
        out = []
        for d in self.blueprint.get("domains") or []:
            mine = [r for r in self.items if r.item.domain == str(d["id"])]
            out.append((d, sum(r.correct for r in mine), len(mine)))
        return out


def run_answers(nb, timeout: int = 60) -> tuple[dict, dict[str, str]]:
    """Execute the answer cells only; (the ``answer`` dict, question -> error of its cell)."""
    run = new_notebook(metadata={"kernelspec": dict(KERNELSPEC)})
    run.cells.append(new_code_cell("answer = {}"))
    for cell in nb.cells:
        qid = certlab_meta(cell).get("form_answer")
        if cell.get("cell_type") == "code" and qid:
            run.cells.append(new_code_cell(cell.source, metadata={"qid": qid}))
    run.cells.append(new_code_cell(DUMP))
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="certlab-form-") as tmp:
        client = NotebookClient(
            run,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            extra_arguments=KERNEL_ARGS,
            resources={"metadata": {"path": tmp}},
        )
        try:
            client.execute()
        except Exception as exc:  # a kernel that dies or hangs: say so, grade nothing
            raise CertlabError(f"the answer cells could not be run ({type(exc).__name__}: {exc})") from None
    errors = {}
    for cell in run.cells[1:-1]:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                errors[cell.metadata["qid"]] = f"{out.get('ename')}: {out.get('evalue')}"[:120]
    text = "".join(o.get("text", "") for o in run.cells[-1].get("outputs", []) if o.get("output_type") == "stream")
    try:
        return json.loads(text.strip().splitlines()[-1]), errors
    except (IndexError, json.JSONDecodeError):
        raise CertlabError("the answer cells did not leave an `answer` dict; run the form's first cell") from None


def parse_response(value, item: Item) -> tuple[str, str]:
    """(the learner's letters, a problem) from an answer value: "B", "b", ["A", "D"], "A, D", "CADB"."""
    n = len(item.options)
    if value is None or value == "" or value == []:
        return "", "no answer"
    parts = value if isinstance(value, list) else [value]
    letters = "".join(ch for p in parts for ch in str(p).upper() if ch.isalpha())
    if any(ch not in LETTERS[:n] for ch in letters) or not letters:
        return str(value)[:20], f"not letters A-{LETTERS[n - 1]}"
    if len(set(letters)) != len(letters):
        return letters, "a letter is repeated"
    if item.type == "ordering":
        return letters, "" if len(letters) == n else f"an ordering needs all {n} letters"
    want = len(item.answer)
    if len(letters) != want:
        return letters, f"choose {want}, not {len(letters)}"
    return ("".join(sorted(letters)) if item.type == "multiple" else letters), ""


def grade(form: Form, bank, answers: dict, errors: dict[str, str]) -> list[ItemResult]:
    out = []
    for f in form.items:
        item = bank.item(f.item_id)
        given, problem = parse_response(answers.get(f.qid), item)
        if f.qid in errors:
            given, problem = "", f"the answer cell raised {errors[f.qid]}"
        key = key_letters(item, f.order)
        out.append(ItemResult(f, item, given, key, not problem and given == key, problem))
    return out


def _digest(results: list[ItemResult]) -> str:
    return hashlib.sha256(json.dumps([[r.qid, r.given] for r in results]).encode()).hexdigest()[:16]


def integrity(form: Form, nb, course: Course, bank, blueprint: dict) -> list[str]:
    """Does the recorded form match what its seed draws, and what was recorded at its start?"""
    from certlab.exam import started_form

    flags = []
    meta = nb.metadata["certlab"]["form"]
    if meta.get("bank") == bank.fingerprint and draw_form(bank, blueprint, form.seed).signature() != form.signature():
        flags.append("the form's items differ from what its recorded seed draws: its metadata was edited")
    started = started_form(course.root, str(meta.get("attempt")))
    if started and (started.get("seed") != form.seed or started.get("items") != form.signature()):
        flags.append("the form differs from the one recorded when it was started")
    if started and started.get("start") != nb.metadata["certlab"].get("timed", {}).get("start"):
        flags.append("the start time differs from the one recorded when the form was started")
    return flags


def check_form(
    path: Path, nb, course: Course, student: str = "", record_it: bool = True, now: dt.datetime | None = None
) -> FormResult:
    """Grade a form notebook against its item bank.

    Parameters
    ----------
    path : Path
        The form's notebook (only read).
    nb : NotebookNode
        Its contents.
    course : Course
        The course whose blueprints, banks and usage log apply.
    student : str
        Learner id (default: ``CERTLAB_STUDENT`` or the user name).
    record_it : bool
        Record the result in the usage log; the first result of a form is its hand-in.
    now : datetime, optional
        The hand-in time (UTC), for the time limit; default: now.

    Returns
    -------
    FormResult
        Per-item results, the score per domain, the verdict, the timing and any integrity flags.
    """
    from certlab.exam import FORM_RESULT, hand_ins, minutes_over, time_status

    form = recorded_form(nb)
    meta = nb.metadata["certlab"]["form"]
    blueprint = course.blueprints.get(form.exam)
    if blueprint is None:
        raise CertlabError(f"{path.name}: form of unknown exam {form.exam!r}")
    bank = load_bank(form.exam)
    student = student or student_id()
    answers, errors = run_answers(nb)
    result = FormResult(path, form.exam, str(meta.get("attempt")), form.seed, student, record_it, blueprint)
    result.items = grade(form, bank, answers, errors)
    result.timing = time_status(nb, now)
    result.over_time = (minutes_over(nb, now) or (0.0, 0.0))[1] > 0
    result.flags = integrity(form, nb, course, bank, blueprint)
    if meta.get("bank") != bank.fingerprint:
        result.notes.append("the item bank has changed since this form was drawn; it is graded on its recorded items")
    earlier = next((e for e in hand_ins(course.root, student, form.exam) if e.get("attempt") == result.attempt), None)
    if earlier:
        result.handed_in = earlier.get("time")
        if earlier.get("answers") != _digest(result.items):
            result.flags.append(
                f"answers changed since the hand-in of {earlier.get('time')}; the report keeps that one"
            )
    if record_it:
        record(
            course.root,
            kind=FORM_RESULT,
            exam=form.exam,
            attempt=result.attempt,
            seed=form.seed,
            score=int(result.score),
            total=int(result.max_score),
            passed=result.passed,
            over_time=result.over_time,
            answers=_digest(result.items),
            items=[[r.item.id, r.item.domain, r.correct] for r in result.items],
            student=student,
        )
    return result


def render_form(result: FormResult, console, skills: dict | None = None) -> None:
    from rich.markup import escape
    from rich.table import Table

    skills = skills or {}
    table = Table(title=f"{result.exam} mock exam, attempt {result.attempt} (learner {result.student})")
    for col in ("domain", "weight", "correct", "score"):
        table.add_column(col, justify="left" if col == "domain" else "right")
    for d, correct, n in result.by_domain():
        share = f"{correct / n:.0%}" if n else "—"
        table.add_row(f"§{d['id']} {d['name']}", f"{float(d['weight']):.0%}", f"{correct}/{n}", share)
    total = f"{result.score / result.max_score:.0%}" if result.max_score else "—"
    table.add_row("total", "", f"{result.score:g}/{result.max_score:g}", total, end_section=True)
    console.print(table)
    if result.passed is None:
        console.print("No passing score is published for this exam; compare the domains instead.")
    else:
        verdict = "[green]PASS[/]" if result.passed else "[red]FAIL[/]"
        late = " (a late hand-in does not pass)" if result.over_time else ""
        console.print(f"{verdict} against the pass mark of {result.passing:.0%}{late}.")
    if result.timing:
        style = "red" if result.over_time else "green"
        console.print(f"Timed exam: [{style}]{result.timing}[/]")
    for flag in result.flags:
        console.print(f"[yellow]Integrity[/]: {escape(flag)}.")
    for note in result.notes:
        console.print(f"Note: {escape(note)}.")
    missed = [r for r in result.items if not r.correct]
    if missed:
        console.print(f"\n[bold]Missed: {len(missed)} of {len(result.items)}[/]")
    for r in missed:
        given = f"you answered {r.given}" + (f" ({r.problem})" if r.problem else "") if r.given else r.problem
        console.print(f"\n[bold]{r.qid}[/] ({r.item.id}, §{r.item.domain}): {escape(given)}; the key is {r.key}")
        for j, original in enumerate(r.form_item.order):
            mark = "[green]✓[/]" if original in r.item.answer else "✗"
            option, why = r.item.options[original], r.item.rationale[original]
            console.print(f"  {mark} {LETTERS[j]}. {escape(option)}\n      {escape(why)}", highlight=False)
        revise = ", ".join(f"{s} ({skills[s]['title']})" if s in skills else s for s in r.item.skills)
        console.print(f"  Revise: {escape(revise)}. Source: {escape(r.item.source)}", highlight=False)
    if result.handed_in:
        console.print(f"Regraded; the hand-in of {result.handed_in} is the one the report counts.")
    elif result.recorded:
        console.print(f"Hand-in recorded; `certlab report --exam {result.exam}` shows readiness per domain.")
    else:
        console.print("Not recorded (--no-record).")
