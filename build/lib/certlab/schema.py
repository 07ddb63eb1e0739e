"""Schema checks for the data the reports stand on: skills.yml and the exam blueprints."""

from __future__ import annotations

import re

SKILL_ID = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
STATUSES = {"active", "retired", "closed", "beta"}
SOURCE_QUALITIES = {"vendor", "reported"}
REQUIRED = ("id", "name", "vendor", "source", "source_quality", "status", "domains")
WEIGHT_TOLERANCE = 1e-4


def check_skills(skills: dict, assignment_ids: set[str] | None) -> list[str]:
    """Problems in the skill taxonomy: malformed ids, missing titles, unknown assignments
    (checked only when ``assignment_ids`` is given)."""
    problems = []
    for skill_id, entry in skills.items():
        if not SKILL_ID.match(skill_id):
            problems.append(f"skill {skill_id!r}: ids are dotted lower-case words, e.g. 'linalg.eigen'")
        if not isinstance(entry, dict) or not entry.get("title"):
            problems.append(f"skill {skill_id!r}: needs a title")
            continue
        for a in entry.get("assignments", []) or []:
            if assignment_ids is not None and a not in assignment_ids:
                problems.append(f"skill {skill_id!r}: assignment {a!r} is not in course.yml")
    return problems


def check_blueprints(blueprints: dict[str, dict], skills: dict) -> list[str]:
    """Problems in the blueprints: fields, weights that do not sum to 1, unknown skills,
    statuses and successors that do not resolve."""
    problems = []
    for exam_id, bp in blueprints.items():
        where = f"blueprint {bp.get('_file', exam_id)}"
        for key in REQUIRED:
            if key not in bp:
                problems.append(f"{where}: missing field {key!r}")
        if bp.get("_file") and bp["_file"] != f"{exam_id}.yml":
            problems.append(f"{where}: file name must be its id ({exam_id}.yml)")
        status = bp.get("status")
        if status not in STATUSES:
            problems.append(f"{where}: status {status!r} is not one of {sorted(STATUSES)}")
        if status in ("retired", "closed") and not bp.get("status_date"):
            problems.append(f"{where}: a {status} exam needs status_date")
        if bp.get("source_quality") not in SOURCE_QUALITIES:
            problems.append(f"{where}: source_quality must be one of {sorted(SOURCE_QUALITIES)}")
        successor = bp.get("successor")
        if successor is not None:
            if successor not in blueprints:
                problems.append(f"{where}: successor {successor!r} has no blueprint")
            elif successor == exam_id:
                problems.append(f"{where}: an exam cannot succeed itself")
        domains = bp.get("domains") or []
        if not domains and status != "beta":
            problems.append(f"{where}: only a beta exam may have no domains")
        total = 0.0
        seen_ids = set()
        for domain in domains:
            did = str(domain.get("id"))
            if did in seen_ids:
                problems.append(f"{where}: domain id {did!r} repeated")
            seen_ids.add(did)
            weight = domain.get("weight")
            if not isinstance(weight, (int, float)) or not 0 < weight <= 1:
                problems.append(f"{where}: domain {did} weight {weight!r} must be a fraction in (0, 1]")
                continue
            total += weight
            if not domain.get("skills"):
                problems.append(f"{where}: domain {did} lists no skills")
            for skill in domain.get("skills") or []:
                if skill not in skills:
                    problems.append(f"{where}: domain {did} names unknown skill {skill!r}")
        if domains and abs(total - 1.0) > WEIGHT_TOLERANCE:
            problems.append(f"{where}: domain weights sum to {total:.4f}, not 1")
    return problems
