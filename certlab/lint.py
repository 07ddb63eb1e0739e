"""``certlab lint``: one pass over the course, every violation with file, cell and a fix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from certlab.course import PLANNED, SKILLS_FILE, WRITTEN, Course, load_yaml
from certlab.errors import CertlabError
from certlab.notebooks import (
    read_notebook,
)
from certlab.schema import check_blueprints, check_skills

FOLDER = re.compile(r"^\d\d_[a-z0-9]+(_[a-z0-9]+)*$")


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
    """Every notebook rule of :mod:`certlab.notebook_rules` for one source notebook;
    ``grade_ids`` collects ids across the course."""
    from certlab.notebook_rules import RULES, Context

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
    ctx = Context(nb, skills, grade_ids, rel)
    return [Violation(name, rel, *finding) for name, check in RULES for finding in check(ctx)]


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
