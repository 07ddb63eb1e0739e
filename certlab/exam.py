"""``certlab exam``: timed mock exams.

- ``certlab exam start EXAM`` draws a form of the real exam's length and domain mix from the
  exam's item bank (:mod:`certlab.form`), seeded per attempt, writes it as a notebook next to the
  learner's work, starts the clock and records the attempt in the usage log. A retired exam
  without a bank of its own uses its successor's. ``certlab check`` grades the form
  (:mod:`certlab.form_check`).
- ``certlab exam start EXAM --lab`` copies the mock's hands-on lab (release/31_mock_exams/), scored
  separately by ``certlab check``; an exam whose format is ``coding`` (tf-developer) is that
  notebook alone.
- :func:`mock_summary` turns the recorded hand-ins into readiness per domain for the report, with
  the number of items behind each figure.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from certlab.bank import bank_paths, load_bank, usable
from certlab.course import Course
from certlab.errors import CertlabError
from certlab.form import Form, draw_form, form_notebook
from certlab.notebooks import read_notebook
from certlab.usage import read_usage, record, student_id

MOCK_ASSIGNMENT = "31_mock_exams"
FORM_STARTED, FORM_RESULT = "exam-form", "exam-result"


def _known(course: Course, exam: str) -> dict:
    if exam not in course.blueprints:
        raise CertlabError(f"unknown exam {exam!r}; choose one of {', '.join(sorted(course.blueprints))}")
    return course.blueprints[exam]


def is_coding(course: Course, exam: str) -> bool:
    return (_known(course, exam).get("format") or {}).get("kind") == "coding"


def bank_exam(course: Course, exam: str) -> str:
    """The exam whose item bank serves ``exam``: its own, else its successor's."""
    bp = _known(course, exam)
    banks = bank_paths()
    if exam in banks:
        return exam
    if bp.get("successor") in banks:
        return bp["successor"]
    lab = f"; `certlab exam start {exam} --lab` starts its hands-on lab" if not is_coding(course, exam) else ""
    raise CertlabError(f"no item bank for {exam} yet (certlab/exams/{exam}.yml){lab}")


def mock_path(course: Course, exam: str) -> tuple[str, Path]:
    """The mock notebook (the lab, or the whole coding exam); a retired exam uses its successor's."""
    _known(course, exam)
    target = exam
    folder = course.release_dir / MOCK_ASSIGNMENT
    if not (folder / f"{target}.ipynb").exists() and course.blueprints[exam].get("successor"):
        target = course.blueprints[exam]["successor"]
    path = folder / f"{target}.ipynb"
    if not path.exists():
        raise CertlabError(f"no mock exam for {exam} in {folder} (run `certlab build {MOCK_ASSIGNMENT}`)")
    return target, path


def start_lab(course: Course, exam: str, minutes: int | None, dest: Path, now: dt.datetime | None = None) -> Path:
    """Copy the mock notebook to ``dest`` with its start time and limit (``certlab.timed``)."""
    target, source = mock_path(course, exam)
    nb = read_notebook(source)
    limit = minutes or int(nb.metadata.get("certlab", {}).get("minutes", 0) or 0)
    if limit <= 0:
        raise CertlabError("give the time limit with --minutes N")
    start = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    nb.metadata.setdefault("certlab", {})["timed"] = {"exam": target, "start": start.isoformat(), "minutes": limit}
    dest.mkdir(parents=True, exist_ok=True)
    out = dest / f"{target}.ipynb"
    if out.exists():
        backup = out.with_suffix(f".{start:%Y%m%dT%H%M%S}.bak.ipynb")
        shutil.move(out, backup)
    nbformat.write(nb, str(out))
    record(
        course.root, kind="exam", assignment=MOCK_ASSIGNMENT, exercise=target, minutes=limit, start=start.isoformat()
    )
    return out


def used_seeds(root: Path, student: str, exam: str) -> set[int]:
    return {
        int(e["seed"])
        for e in read_usage(root)
        if e.get("kind") == FORM_STARTED and e.get("student") == student and e.get("exam") == exam
    }


def start_form(
    course: Course,
    exam: str,
    dest: Path,
    seed: int | None = None,
    minutes: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[Path, Form, int]:
    """Draw a form, write it as a notebook and start the clock.

    Parameters
    ----------
    course : Course
        The course; the attempt is recorded in its usage log.
    exam : str
        Exam id; a retired exam without a bank of its own uses its successor's.
    dest : Path
        Folder for the form's notebook.
    seed : int, optional
        Draw the form of this seed; default: a new seed this learner has not used for the exam.
    minutes : int, optional
        Time limit; default: the blueprint's ``format.minutes``.
    now : datetime, optional
        The start time (UTC); default: now.

    Returns
    -------
    (Path, Form, int)
        The notebook, the form and its time limit in minutes.
    """
    target = bank_exam(course, exam)
    blueprint = course.blueprints.get(target)
    if blueprint is None:
        raise CertlabError(f"item bank {target} has no blueprint certlab/blueprints/{target}.yml")
    bank = usable(load_bank(target), f" for {target}")
    student = student_id()
    if seed is None:
        taken = used_seeds(course.root, student, target)
        seed = next(s for s in iter(lambda: secrets.randbelow(2**31), None) if s not in taken)
    form = draw_form(bank, blueprint, seed)
    limit = minutes or int((blueprint.get("format") or {}).get("minutes") or 0)
    if limit <= 0:
        raise CertlabError(f"blueprint {target} has no format.minutes; give the time limit with --minutes N")
    start = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    dest.mkdir(parents=True, exist_ok=True)
    attempt = f"{target}-{start:%Y%m%d-%H%M%S}"
    n = 1
    while (dest / f"{attempt}.ipynb").exists() or started_form(course.root, attempt):
        n += 1
        attempt = f"{target}-{start:%Y%m%d-%H%M%S}-{n}"
    out = dest / f"{attempt}.ipynb"
    nb = form_notebook(
        form, bank, blueprint, start=start, minutes=limit, attempt=attempt, requested=exam, filename=out.name
    )
    nbformat.write(nb, str(out))
    record(
        course.root,
        kind=FORM_STARTED,
        exam=target,
        requested=exam,
        attempt=attempt,
        seed=seed,
        bank=bank.fingerprint,
        items=form.signature(),
        minutes=limit,
        start=start.isoformat(),
        student=student,
    )
    return out, form, limit


def exam_overview(course: Course) -> list[tuple[str, ...]]:
    """One row per exam for ``certlab exam list``: status, form, pass mark, bank, lab."""
    banks = bank_paths()
    labs = course.release_dir / MOCK_ASSIGNMENT
    rows = []
    for exam, bp in sorted(course.blueprints.items()):
        fmt = bp.get("format") or {}
        successor = bp.get("successor")
        if not fmt and successor in banks:
            rows.append((exam, str(bp.get("status", "")), f"as {successor}", "—", f"uses {successor}'s", "—"))
            continue
        if fmt.get("kind") == "coding":
            form = f"coding tasks (the real exam: {fmt.get('questions')} in {fmt.get('minutes')} min)"
        elif fmt:
            form = f"{fmt.get('questions')} questions, {fmt.get('minutes')} min"
        else:
            form = "—"
        passing = "—" if fmt.get("passing") is None else f"{fmt['passing']:.0%}"
        bank = f"{len(load_bank(exam).items)} items" if exam in banks else "—"
        lab = "yes" if (labs / f"{exam}.ipynb").exists() else "—"
        rows.append((exam, str(bp.get("status", "")), form, passing, bank, lab))
    return rows


def started_form(root: Path, attempt: str) -> dict | None:
    """The usage-log record of a form's start, if it was started in this course."""
    return next((e for e in read_usage(root) if e.get("kind") == FORM_STARTED and e.get("attempt") == attempt), None)


def minutes_over(nb, now: dt.datetime | None = None) -> tuple[float, float] | None:
    """(minutes used, minutes over the limit) for a timed notebook; None for an untimed one."""
    timed = nb.metadata.get("certlab", {}).get("timed")
    if not timed:
        return None
    start = dt.datetime.fromisoformat(timed["start"])
    used = ((now or dt.datetime.now(dt.UTC)) - start).total_seconds() / 60
    return used, used - float(timed["minutes"])


def time_status(nb, now: dt.datetime | None = None) -> str | None:
    """'within the limit' / 'over time by N min' for a timed copy; None for an untimed notebook."""
    got = minutes_over(nb, now)
    if got is None:
        return None
    used, over = got
    limit = nb.metadata["certlab"]["timed"]["minutes"]
    if over > 0:
        return f"over time by {over:.0f} min ({used:.0f} of {limit} min used)"
    return f"within the limit ({used:.0f} of {limit} min used)"


@dataclass
class MockDomain:
    id: str
    name: str
    weight: float
    correct: int = 0  # over every hand-in
    items: int = 0
    last_correct: int = 0  # in the latest hand-in
    last_items: int = 0

    @property
    def share(self) -> float | None:
        return self.correct / self.items if self.items else None


@dataclass
class MockSummary:
    exam: str
    passing: float | None
    attempts: list[dict] = field(default_factory=list)  # the first result of each form, oldest first
    domains: list[MockDomain] = field(default_factory=list)

    @property
    def items(self) -> int:
        return sum(d.items for d in self.domains)

    @property
    def readiness(self) -> float | None:
        """Σ domain weight × share correct over all hand-ins; a domain no form has asked counts 0."""
        if not self.attempts:
            return None
        return sum(d.weight * (d.share or 0.0) for d in self.domains)


def hand_ins(root: Path, student: str, exam: str) -> list[dict]:
    """The first graded result of each form of ``exam`` (later checks of a form are regrades)."""
    first: dict[str, dict] = {}
    for e in read_usage(root):
        if e.get("kind") == FORM_RESULT and e.get("student") == student and e.get("exam") == exam:
            first.setdefault(e.get("attempt"), e)
    return sorted(first.values(), key=lambda e: e.get("time", ""))


def mock_summary(course: Course, student: str, exam: str) -> MockSummary | None:
    """Readiness per domain from the learner's mock-exam hand-ins; None when there are none."""
    attempts = hand_ins(course.root, student, exam)
    if not attempts:
        return None
    bp = course.blueprints[exam]
    summary = MockSummary(exam, (bp.get("format") or {}).get("passing"), attempts)
    by_id = {}
    for d in bp.get("domains") or []:
        by_id[str(d["id"])] = MockDomain(str(d["id"]), str(d["name"]), float(d["weight"]))
        summary.domains.append(by_id[str(d["id"])])
    for n, attempt in enumerate(attempts, 1):
        for _item, domain, correct in attempt.get("items", []):
            d = by_id.get(str(domain))
            if d is None:
                continue
            d.items += 1
            d.correct += bool(correct)
            if n == len(attempts):
                d.last_items += 1
                d.last_correct += bool(correct)
    return summary
