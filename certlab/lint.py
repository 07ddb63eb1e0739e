"""``certlab lint``: one pass over the course, every violation with file, cell and a fix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from certlab.course import PLANNED, SKILLS_FILE, WRITTEN, Course, load_yaml
from certlab.errors import CertlabError
from certlab.notebooks import (
    certlab_meta,
    exercises,
    is_answer,
    is_graded,
    is_test,
    nbgrader_meta,
    read_notebook,
)
from certlab.schema import check_blueprints, check_skills

FOLDER = re.compile(r"^\d\d_[a-z0-9]+(_[a-z0-9]+)*$")
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# A string literal that starts with an absolute path: '/home/…', "C:\…", '~/…'.
ABSOLUTE_PATH = re.compile(r"""(?<![\w.])[rbfRBF]?["'](/(?!/)[A-Za-z0-9_.-]+/|~/|[A-Za-z]:\\)""")
NETWORK = re.compile(
    r"\bfetch_\w+|keras\.datasets|tensorflow_datasets|\btfds\.|\bload_dataset\s*\(|\burlopen\b|"
    r"urllib\.request|\brequests\.(get|post)\b|\bhttpx\.|torch\.hub|hf_hub_download|from_pretrained\s*\(|"
    r"get_file\s*\(|^\s*[!%]\s*(pip|wget|curl)\b",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Violation:
    rule: str
    path: str
    cell: str  # "cell 7 (a02-norm-tests)", or "" for file-level problems
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.path} {self.cell}".strip()
        return f"{where}: [{self.rule}] {self.message}. Fix: {self.fix}"


def _where(index: int, cell) -> str:
    grade_id = nbgrader_meta(cell).get("grade_id")
    return f"cell {index}" + (f" ({grade_id})" if grade_id else "")


def lint_manifest(course: Course) -> list[Violation]:
    out = []
    manifest = "course.yml"
    ids = [a.id for a in course.assignments]
    tracks = set((course.manifest.get("tracks") or {}).keys())
    seen: set[str] = set()
    for a in course.assignments:
        if a.id in seen:
            out.append(Violation("manifest", manifest, "", f"assignment {a.id} is listed twice", "keep one entry"))
        if not FOLDER.match(a.id):
            out.append(
                Violation("manifest", manifest, "", f"{a.id} is not NN_snake_case", "rename it, e.g. 07_topic_name")
            )
        if tracks and a.track not in tracks:
            out.append(
                Violation(
                    "manifest", manifest, "", f"{a.id}: unknown track {a.track!r}", f"use one of {sorted(tracks)}"
                )
            )
        if a.status not in (WRITTEN, PLANNED):
            out.append(
                Violation("manifest", manifest, "", f"{a.id}: status {a.status!r}", "use 'written' or 'planned'")
            )
        for pre in a.prerequisites:
            if pre not in seen:
                out.append(
                    Violation(
                        "manifest",
                        manifest,
                        "",
                        f"{a.id}: prerequisite {pre} is unknown or comes later",
                        "list prerequisites that come earlier in course.yml",
                    )
                )
        seen.add(a.id)
    if ids != sorted(ids):
        out.append(
            Violation("manifest", manifest, "", "assignments are not in NN order", "order course.yml by folder number")
        )
    on_disk = {p.name for p in course.source_dir.iterdir() if p.is_dir()} if course.source_dir.is_dir() else set()
    for a in course.assignments:
        has_nb = a.id in on_disk and any((course.source_dir / a.id).glob("*.ipynb"))
        if a.written and not has_nb:
            out.append(
                Violation(
                    "manifest",
                    manifest,
                    "",
                    f"{a.id} is 'written' but source/{a.id}/ has no notebook",
                    "write it or mark it planned",
                )
            )
        if not a.written and a.id in on_disk:
            out.append(
                Violation(
                    "manifest",
                    manifest,
                    "",
                    f"{a.id} is 'planned' but source/{a.id}/ exists",
                    "mark it written in course.yml",
                )
            )
    for name in sorted(on_disk - set(ids)):
        if not name.startswith("."):
            out.append(
                Violation(
                    "manifest",
                    f"source/{name}",
                    "",
                    "folder not listed in course.yml",
                    "add it to course.yml or remove the folder",
                )
            )
    if course.release_dir.is_dir():
        written = {a.id for a in course.written}
        for p in sorted(course.release_dir.iterdir()):
            if p.is_dir() and p.name not in written:
                out.append(
                    Violation(
                        "manifest",
                        f"release/{p.name}",
                        "",
                        "release folder without a written source",
                        "run `certlab build` (it removes stale release folders)",
                    )
                )
    return out


def lint_data(course: Course) -> list[Violation]:
    # The taxonomy names the assignments of its own course; another course only borrows the ids.
    own = load_yaml(SKILLS_FILE).get("course_id") == course.manifest.get("course_id")
    ids = {a.id for a in course.assignments} if own else None
    out = [
        Violation("skills", "certlab/skills.yml", "", p, "correct skills.yml") for p in check_skills(course.skills, ids)
    ]
    out += [
        Violation("blueprint", "certlab/blueprints", "", p, "correct the blueprint")
        for p in check_blueprints(course.blueprints, course.skills)
    ]
    return out


def lint_notebook(path: Path, rel: str, skills: dict, grade_ids: dict[str, str]) -> list[Violation]:
    """Every notebook rule for one source notebook; ``grade_ids`` collects ids across the course."""
    try:
        nb = read_notebook(path)
    except CertlabError as exc:
        return [
            Violation(
                "json",
                rel,
                "",
                str(exc).split(": ", 1)[-1].rstrip("."),
                "restore the file from git or re-save it in Jupyter",
            )
        ]
    out = []

    def add(rule, where, message, fix):
        out.append(Violation(rule, rel, where, message, fix))

    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        add("kernelspec", "", f"kernelspec is {kernel!r}", "select the 'Python 3' (python3) kernel and save")
    code_cells = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    if (
        not code_cells
        or certlab_meta(code_cells[0][1]).get("role") != "setup"
        or not nbgrader_meta(code_cells[0][1]).get("locked")
    ):
        where = _where(*code_cells[0]) if code_cells else ""
        add(
            "setup-cell",
            where,
            "the first code cell is not the locked setup cell",
            "make the first code cell read-only (nbgrader locked) with metadata certlab.role = 'setup'",
        )
    if not any(certlab_meta(c).get("role") == "skills-table" for c in nb.cells):
        add(
            "skills-table",
            "",
            "no skills table cell",
            "add a markdown cell with metadata certlab.role = 'skills-table' and run `certlab build`",
        )
    for index, cell in enumerate(nb.cells):
        where = _where(index, cell)
        src = cell.source
        meta = nbgrader_meta(cell)
        if cell.cell_type == "code":
            if cell.get("outputs"):
                add("clean", where, "has outputs", "clear outputs (Edit > Clear Outputs of All Cells) and save")
            if cell.get("execution_count") is not None:
                add("clean", where, "has an execution count", "clear outputs and save")
            for m in ABSOLUTE_PATH.finditer(src):
                add(
                    "abs-path",
                    where,
                    f"absolute path {m.group(1)!r}…",
                    "use certlab.datasets or a path relative to the notebook",
                )
            for m in NETWORK.finditer(src):
                add(
                    "network",
                    where,
                    f"network loader {m.group(0).strip()!r}",
                    "load data with certlab.datasets (offline) instead",
                )
        if (BEGIN_SOLUTION in src or END_SOLUTION in src) and not meta.get("solution"):
            add(
                "solution-region",
                where,
                "solution markers outside an answer cell",
                "move the solution into a cell marked as an nbgrader answer",
            )
        if src.count(BEGIN_SOLUTION) != src.count(END_SOLUTION):
            add(
                "solution-region",
                where,
                "unbalanced BEGIN/END SOLUTION markers",
                "close every ### BEGIN SOLUTION with ### END SOLUTION",
            )
        if (BEGIN_HIDDEN in src or END_HIDDEN in src) and not is_test(cell):
            add(
                "solution-region",
                where,
                "hidden-test markers outside a test cell",
                "keep hidden tests inside autograded test cells",
            )
        if src.count(BEGIN_HIDDEN) != src.count(END_HIDDEN):
            add(
                "solution-region",
                where,
                "unbalanced BEGIN/END HIDDEN TESTS markers",
                "close every ### BEGIN HIDDEN TESTS",
            )
        if meta.get("grade_id") is not None:
            gid = str(meta["grade_id"])
            if not GRADE_ID.match(gid):
                add(
                    "grade-id",
                    where,
                    f"grade id {gid!r} has characters other than letters, digits, - and _",
                    "rename it",
                )
            if gid in grade_ids:
                add(
                    "grade-id",
                    where,
                    f"grade id {gid!r} is also used in {grade_ids[gid]}",
                    "grade ids must be unique across the course: prefix them with the assignment, e.g. a02-",
                )
            else:
                grade_ids[gid] = rel
        if is_graded(cell):
            points = meta.get("points")
            if not isinstance(points, (int, float)) or points <= 0:
                add("points", where, f"graded cell has points {points!r}", "give it a positive number of points")
            tags = certlab_meta(cell).get("skills")
            if not tags:
                add(
                    "skills",
                    where,
                    "graded cell has no skill tags",
                    "add metadata certlab.skills = ['<skill id from certlab/skills.yml>']",
                )
            for tag in tags or []:
                if tag not in skills:
                    add(
                        "skills", where, f"unknown skill {tag!r}", "use an id from certlab/skills.yml (or add it there)"
                    )
        if is_answer(cell) and not certlab_meta(cell).get("exercise"):
            add(
                "exercise",
                where,
                "answer cell without an exercise name",
                "set metadata certlab.exercise and use the same name on its tests and hints",
            )
    for name, ex in exercises(nb).items():
        if ex.answer_index is None:
            add("exercise", "", f"exercise {name!r} has no answer cell", "add the answer cell or fix the exercise name")
        if not ex.test_indices:
            add(
                "exercise",
                "",
                f"exercise {name!r} has no graded test cell",
                "add a test cell with the same certlab.exercise",
            )
        if not ex.hint_indices and any(is_test(nb.cells[i]) for i in ex.test_indices):
            add(
                "exercise",
                "",
                f"exercise {name!r} has no hints",
                "add a hints cell (certlab.role = 'hints') with the same exercise name",
            )
    return out


def lint_skill_index(course: Course) -> list[Violation]:
    """skills.yml says where each skill is taught: it must name every written assignment that
    grades the skill (only for the taxonomy's own course)."""
    if load_yaml(SKILLS_FILE).get("course_id") != course.manifest.get("course_id"):
        return []
    out = []
    taught = {(s, c.assignment) for c in course.graded_cells for s in c.skills}
    for skill, assignment in sorted(taught):
        listed = course.skills.get(skill, {}).get("assignments") or []
        if skill in course.skills and assignment not in listed:
            out.append(
                Violation(
                    "skill-index",
                    "certlab/skills.yml",
                    "",
                    f"{skill} is graded in {assignment} but not listed there",
                    f"add {assignment} to {skill}'s assignments",
                )
            )
    return out


def lint_banks(course: Course, folder: Path | None = None) -> list[Violation]:
    """Every rule of :mod:`certlab.bank_rules` on every item bank (``certlab/exams/*.yml``)."""
    from certlab.bank import bank_paths, read_bank
    from certlab.bank_rules import lint_bank

    out = []
    for exam, path in bank_paths(folder).items():
        rel = f"certlab/exams/{path.name}"
        try:
            bank = read_bank(path)
        except CertlabError as exc:
            message = str(exc).split(": ", 1)[-1].rstrip(".")
            out.append(Violation("bank-structure", rel, "", message, "make it a mapping with a list under `items:`"))
            continue
        for p in lint_bank(bank, course.blueprints.get(exam), course.skills):
            out.append(Violation(f"bank-{p.rule}", rel, p.where, p.message, p.fix))
    return out


def lint(course: Course) -> list[Violation]:
    violations = lint_manifest(course) + lint_data(course) + lint_banks(course)
    grade_ids: dict[str, str] = {}
    for a in course.written:
        for path in course.source_notebooks(a.id):
            rel = str(path.relative_to(course.root))
            violations += lint_notebook(path, rel, course.skills, grade_ids)
        checkpoints = course.source_dir / a.id / ".ipynb_checkpoints"
        if checkpoints.exists():
            violations.append(
                Violation(
                    "clean", str(checkpoints.relative_to(course.root)), "", "checkpoint folder in source", "delete it"
                )
            )
    if not any(v.rule == "json" for v in violations):
        violations += lint_skill_index(course)
    return violations
