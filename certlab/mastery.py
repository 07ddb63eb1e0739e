"""Mastery per skill, per exam domain, readiness per exam, and coverage (docs/architecture.md, "Data model").

- skill mastery   = points earned / points possible over the graded cells tagged with the skill;
  possible points come from every graded cell of the course, so unattempted work counts as 0;
- domain mastery  = the points-weighted mean over its skills (Σ earned / Σ possible);
- readiness       = Σ domain weight × domain mastery (a domain nothing exercises counts as 0);
- coverage        = the share of a blueprint's skills that at least one graded cell exercises.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from certlab.notebooks import GradedCell


@dataclass
class SkillStat:
    skill: str
    earned: float = 0.0
    possible: float = 0.0
    cells: int = 0

    @property
    def mastery(self) -> float | None:
        return self.earned / self.possible if self.possible else None


@dataclass
class DomainResult:
    id: str
    name: str
    weight: float
    skills: list[str]
    earned: float
    possible: float
    covered: int

    @property
    def mastery(self) -> float | None:
        return self.earned / self.possible if self.possible else None

    @property
    def coverage(self) -> float:
        return self.covered / len(self.skills) if self.skills else 0.0


@dataclass
class ExamResult:
    exam_id: str
    name: str
    status: str
    successor: str | None
    domains: list[DomainResult] = field(default_factory=list)
    covered_skills: set[str] = field(default_factory=set, repr=False)

    @property
    def readiness(self) -> float | None:
        if not self.domains:
            return None
        return sum(d.weight * (d.mastery or 0.0) for d in self.domains)

    @property
    def coverage(self) -> float:
        skills = {s for d in self.domains for s in d.skills}
        return len(skills & self.covered_skills) / len(skills) if skills else 0.0

    def weakest(self, n: int = 2) -> list[DomainResult]:
        return sorted(self.domains, key=lambda d: (d.mastery or 0.0, -d.weight))[:n]


def skill_stats(cells: list[GradedCell], earned: dict[str, float]) -> dict[str, SkillStat]:
    """Per skill: points earned (``earned`` maps grade id -> score) over points possible."""
    stats: dict[str, SkillStat] = defaultdict(lambda: SkillStat(""))
    for cell in cells:
        for skill in cell.skills:
            stat = stats[skill]
            stat.skill = skill
            stat.possible += cell.points
            stat.earned += min(float(earned.get(cell.grade_id, 0.0)), cell.points)
            stat.cells += 1
    return dict(stats)


def exam_result(blueprint: dict, stats: dict[str, SkillStat]) -> ExamResult:
    result = ExamResult(
        exam_id=str(blueprint["id"]),
        name=str(blueprint.get("name", "")),
        status=str(blueprint.get("status", "")),
        successor=blueprint.get("successor"),
    )
    result.covered_skills = {s for s, st in stats.items() if st.possible > 0}
    for d in blueprint.get("domains") or []:
        skills = list(d.get("skills") or [])
        present = [stats[s] for s in skills if s in stats and stats[s].possible > 0]
        result.domains.append(
            DomainResult(
                id=str(d["id"]),
                name=str(d["name"]),
                weight=float(d["weight"]),
                skills=skills,
                earned=sum(s.earned for s in present),
                possible=sum(s.possible for s in present),
                covered=len(present),
            )
        )
    return result


def scores_from_gradebook(db_url: str, student: str) -> dict[str, float]:
    """Latest score of every graded cell a student has in an nbgrader gradebook."""
    from nbgrader.api import MissingEntry

    from certlab.grading.nbgrader_io import open_gradebook

    scores: dict[str, float] = {}
    with open_gradebook(db_url) as gb:
        try:
            record = gb.find_student(student)
        except MissingEntry:
            return scores
        for submission in record.submissions:
            for nb in submission.notebooks:
                for grade in nb.grades:
                    scores[grade.name] = float(grade.score or 0.0)
    return scores
