"""A suggested path through the course from the self-assessment's score per area (a skill's
area is its prefix: ``linalg.eigen`` → linear algebra): 80% or more skim, 50% or more work
through, below 50% start there; assignments in course order, each after its prerequisites."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from certlab.course import PACKAGE_DIR, Course, find_root
from certlab.errors import CertlabError
from certlab.notebooks import GradedCell

SELF_ASSESSMENT = "00_self_assessment"
# Skill prefix -> area of the self-assessment; other prefixes (mlops, spark, rai, ai) are not assessed.
AREA_PREFIXES = {
    "Python, NumPy and Pandas": ("python",),
    "Linear algebra": ("linalg", "numerics"),
    "Calculus and optimisation": ("calc", "opt"),
    "Probability and statistics": ("stats",),
    "Classical machine learning": ("ml", "data"),
    "Deep learning": ("dl",),
}
AREAS = {prefix: area for area, prefixes in AREA_PREFIXES.items() for prefix in prefixes}
SKIM, WORK = 0.8, 0.5
SKIM_IT, WORK_THROUGH, START_HERE, PLANNED = "skim", "work through", "start here", "planned"
DL_TRACKS = {"tensorflow": "dl.tf.", "pytorch": "dl.torch."}  # course.yml tracks teaching the same ideas


def area_of(skill: str) -> str | None:
    """The self-assessment area of a skill id, or None for a skill it does not assess."""
    return AREAS.get(skill.split(".", 1)[0])


@dataclass(frozen=True)
class AreaScore:
    area: str
    earned: float
    possible: float

    @property
    def score(self) -> float:
        return self.earned / self.possible if self.possible else 0.0

    @property
    def advice(self) -> str:
        """``skim`` at 80% or more, ``work through`` at 50% or more, else ``start here``."""
        return SKIM_IT if self.score >= SKIM else WORK_THROUGH if self.score >= WORK else START_HERE


@dataclass(frozen=True)
class Step:
    """One assignment of a plan; ``waits_for`` names its prerequisites that are not written yet."""

    assignment: str
    title: str
    area: str | None
    action: str
    minutes: int
    waits_for: tuple[str, ...] = ()


def course_root() -> Path:
    """:func:`certlab.course.find_root`, else the course this package was installed from (so that
    a notebook also runs from a scratch copy of ``notebooks/``, as ``certlab.bench.execute`` makes)."""
    try:
        return find_root()
    except CertlabError:
        if (PACKAGE_DIR.parent / "course.yml").exists():
            return PACKAGE_DIR.parent
        raise


def gradebook_url(root: Path) -> str:
    """The course's gradebook, or an empty in-memory one while its SQLite file does not exist
    (reading must not create it)."""
    from certlab.grading.nbgrader_io import db_url

    url = db_url(Path(root))
    missing = url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists()
    return "sqlite://" if missing else url


def area_scores(cells: Iterable[GradedCell], scores: dict[str, float]) -> dict[str, AreaScore]:
    """Points earned over points possible per area (in the self-assessment's order) for ``cells``,
    from ``scores`` (grade id -> score). A missing score counts 0, one above a cell's points is
    capped; a cell whose skills span two areas counts in both; areas without cells are left out."""
    earned: dict[str, float] = defaultdict(float)
    possible: dict[str, float] = defaultdict(float)
    for cell in cells:
        for area in {area_of(s) for s in cell.skills} - {None}:
            possible[area] += cell.points
            earned[area] += min(float(scores.get(cell.grade_id, 0.0)), cell.points)
    return {a: AreaScore(a, earned[a], possible[a]) for a in AREA_PREFIXES if possible[a] > 0}


def _teaches(course: Course) -> dict[str, set[str]]:
    """Assignment id -> skills it teaches: its graded cells' tags and the lists of skills.yml."""
    teaches: dict[str, set[str]] = defaultdict(set)
    for cell in course.graded_cells:
        teaches[cell.assignment].update(cell.skills)
    for skill, info in course.skills.items():
        for a in (info or {}).get("assignments") or []:
            teaches[a].add(skill)
    return teaches


def assignment_areas(course: Course) -> dict[str, str | None]:
    """Each assignment's main area: the area of most of the skills it teaches. None when most are
    skills the self-assessment skips (production, mock exams), on a tie, or with no skills."""
    out: dict[str, str | None] = {a.id: None for a in course.assignments}
    for aid, skills in _teaches(course).items():
        ranked = Counter(area_of(s) for s in skills).most_common(2)
        out[aid] = ranked[0][0] if len(ranked) == 1 or ranked[0][1] > ranked[1][1] else None
    return out


def course_order(course: Course, ids: Iterable[str]) -> list[str]:
    """``ids`` in course.yml order, moved only where a prerequisite (also in ``ids``) must come first."""
    index = {a.id: i for i, a in enumerate(course.assignments)}
    if unknown := sorted(set(ids) - set(index)):
        raise CertlabError(f"Unknown assignment(s): {', '.join(unknown)}. See course.yml.")
    needs = {a.id: set(a.prerequisites) for a in course.assignments}
    pending = sorted(set(ids), key=index.__getitem__)
    wanted, out = set(pending), []
    while pending:
        ready = next((a for a in pending if needs[a] & wanted <= set(out)), None)
        if ready is None:
            raise CertlabError(f"The prerequisites in course.yml form a cycle among: {', '.join(pending)}.")
        pending.remove(ready)
        out.append(ready)
    return out


def keep_framework(course: Course, ids: Iterable[str], framework: str | None) -> list[str]:
    """``ids`` without the other deep-learning track if ``framework`` is one of DL_TRACKS."""
    if framework not in (None, *DL_TRACKS):
        raise CertlabError(f"framework must be one of {', '.join(DL_TRACKS)} or None, not {framework!r}.")
    return [i for i in ids if framework is None or course.assignment(i).track not in set(DL_TRACKS) - {framework}]


def plan(
    course: Course, areas: dict[str, AreaScore], ids: Iterable[str] | None = None, framework: str | None = None
) -> list[Step]:
    """The assignments in :func:`course_order`, each with its ``action``: the advice for its main
    area's score, ``work through`` for an area the self-assessment skips, ``planned`` when not written.

    Parameters
    ----------
    areas
        The self-assessment's :func:`area_scores`.
    ids
        Assignments to plan; default every written one except the self-assessment.
    framework
        ``"tensorflow"`` or ``"pytorch"`` keeps one deep-learning track; None keeps both.
    """
    if ids is None:
        ids = [a.id for a in course.written if a.id != SELF_ASSESSMENT]
    main_area = assignment_areas(course)
    steps = []
    for aid in course_order(course, keep_framework(course, ids, framework)):
        a, area = course.assignment(aid), main_area.get(aid)
        action = PLANNED if not a.written else areas[area].advice if area in areas else WORK_THROUGH
        waiting = tuple(p for p in a.prerequisites if not course.assignment(p).written)
        steps.append(Step(aid, a.title, area, action, a.minutes, waiting))
    return steps


def exam_domains(course: Course, exam_id: str) -> dict[str, list[str]]:
    """Assignment id -> ids of the exam's domains whose skills it teaches."""
    if exam_id not in course.blueprints:
        raise CertlabError(f"Unknown exam {exam_id!r}; choose one of {', '.join(sorted(course.blueprints))}.")
    out: dict[str, list[str]] = defaultdict(list)
    teaches = _teaches(course)
    for d in course.blueprints[exam_id].get("domains") or []:
        for aid in sorted(a for a, skills in teaches.items() if skills & set(d.get("skills") or [])):
            out[aid].append(str(d["id"]))
    return dict(out)


def exam_track(course: Course, exam_id: str, framework: str | None = None) -> list[str]:
    """The assignments that teach an exam's skills, plus their prerequisites, in course order.

    Planned assignments are included, the self-assessment is not; an exam without domains has an
    empty track. With ``framework`` None, an exam that names one framework's skills (``dl.tf.*``
    or ``dl.torch.*``) keeps that track only.
    """
    known = {a.id: a for a in course.assignments}
    track = {a for a in exam_domains(course, exam_id) if a in known and a != SELF_ASSESSMENT}
    skills = [s for d in course.blueprints[exam_id].get("domains") or [] for s in d.get("skills") or []]
    named = [t for t, prefix in DL_TRACKS.items() if any(s.startswith(prefix) for s in skills)]
    framework = framework or (named[0] if len(named) == 1 else None)
    while extra := {p for a in track for p in known[a].prerequisites if p in known} - track:
        track |= extra
    return course_order(course, keep_framework(course, track, framework))
