"""Does the pathway turn self-assessment scores into the right advice, order and exam track, and
are the learner notebooks that show it clean and complete?"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from certlab.course import Course
from certlab.errors import CertlabError
from certlab.learner import pathway
from certlab.notebooks import GradedCell

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
LEARNER_NOTEBOOKS = ["00_start_here.ipynb", "01_progress_dashboard.ipynb", "02_pathway_guide.ipynb"]

# A small course: the self-assessment, one assignment per area, a TF and a PyTorch track, a
# production assignment listed *before* the one it builds on, and a planned prerequisite.
MANIFEST = {
    "course_id": "mini",
    "tracks": {"foundations": "F", "classical": "C", "tensorflow": "TF", "pytorch": "PT", "production": "P"},
    "assignments": [
        {"id": "00_self", "track": "foundations", "prerequisites": [], "status": "written"},
        {"id": "01_py", "track": "foundations", "prerequisites": [], "status": "written"},
        {"id": "02_la", "track": "foundations", "prerequisites": ["01_py"], "status": "written"},
        {"id": "03_serve", "track": "production", "prerequisites": ["04_ml", "05_select"], "status": "written"},
        {"id": "04_ml", "track": "classical", "prerequisites": ["02_la"], "status": "written"},
        {"id": "05_select", "track": "classical", "prerequisites": ["04_ml"], "status": "planned"},
        {"id": "06_tf", "track": "tensorflow", "prerequisites": ["04_ml"], "status": "written"},
        {"id": "07_torch", "track": "pytorch", "prerequisites": ["04_ml"], "status": "written"},
    ],
}
SELF = [  # 00_self: python 3 points, linalg 2, ml 2 (one cell also tagged dl), mlops 1
    GradedCell("00_self", "00_self", "q1", 2, ("python.core",)),
    GradedCell("00_self", "00_self", "q2", 1, ("python.numpy",)),
    GradedCell("00_self", "00_self", "q3", 2, ("linalg.vectors",)),
    GradedCell("00_self", "00_self", "q4", 2, ("ml.classification_metrics", "dl.foundations")),
    GradedCell("00_self", "00_self", "q5", 1, ("mlops.drift",)),
]
COURSE_CELLS = [
    GradedCell("01_py", "01_py", "p1", 3, ("python.pandas",)),
    GradedCell("02_la", "02_la", "l1", 3, ("linalg.eigen",)),
    GradedCell("03_serve", "03_serve", "s1", 3, ("mlops.serving",)),
    GradedCell("04_ml", "04_ml", "m1", 3, ("ml.trees", "data.missing")),
    GradedCell("06_tf", "06_tf", "t1", 3, ("dl.tf.cnn",)),
    GradedCell("07_torch", "07_torch", "c1", 3, ("dl.torch.cnn",)),
]
SKILLS = {"ml.tuning": {"assignments": ["05_select"]}, "dl.foundations": {"assignments": ["06_tf", "07_torch"]}}
BLUEPRINTS = {
    "cloud": {"id": "cloud", "domains": [{"id": "1", "weight": 1.0, "skills": ["mlops.serving"]}]},
    "tf": {"id": "tf", "domains": [{"id": "1", "weight": 1.0, "skills": ["dl.tf.cnn", "dl.foundations"]}]},
    "beta": {"id": "beta", "domains": []},
}


@pytest.fixture
def course(tmp_path, monkeypatch) -> Course:
    (tmp_path / "course.yml").write_text(yaml.safe_dump(MANIFEST), encoding="utf-8")
    monkeypatch.setattr(pathway, "SELF_ASSESSMENT", "00_self")
    c = Course(tmp_path)
    c.graded_cells, c.skills, c.blueprints = SELF + COURSE_CELLS, SKILLS, BLUEPRINTS  # cached properties
    return c


def test_skill_prefixes_map_to_the_six_areas():
    """Does every area of the self-assessment own a prefix, and a production skill none?"""
    assert pathway.area_of("linalg.eigen") == pathway.area_of("numerics.stability") == "Linear algebra"
    assert pathway.area_of("opt.learning_rate") == "Calculus and optimisation"
    assert pathway.area_of("data.missing") == "Classical machine learning"
    assert pathway.area_of("mlops.drift") is None and pathway.area_of("rai.fairness") is None
    assert len(pathway.AREA_PREFIXES) == 6


@pytest.mark.parametrize(
    ("earned", "advice"),
    [(10, "skim"), (8, "skim"), (7.9, "work through"), (5, "work through"), (4.9, "start here"), (0, "start here")],
)
def test_cut_offs(earned, advice):
    """Are 80% and 50% the cut-offs, each boundary included in the higher band?"""
    assert pathway.AreaScore("x", earned, 10).advice == advice


def test_area_scores_hand_computed():
    """q1 full, q2 missing, q3 over-scored (capped), q4 half: do the area figures match?"""
    areas = pathway.area_scores(SELF, {"q1": 2, "q3": 5, "q4": 1, "q5": 1})
    assert list(areas) == ["Python, NumPy and Pandas", "Linear algebra", "Classical machine learning", "Deep learning"]
    py, la, ml, dl = areas.values()
    assert (py.earned, py.possible) == (2, 3) and py.advice == "work through"
    assert (la.earned, la.possible) == (2, 2) and la.advice == "skim"
    assert (ml.earned, ml.possible) == (1, 2) == (dl.earned, dl.possible)  # q4 counts in both areas


def test_no_attempts_means_zero_everywhere():
    """With an empty gradebook, is every assessed area at 0 and to start there?"""
    areas = pathway.area_scores(SELF, {})
    assert all(a.earned == 0 and a.advice == "start here" for a in areas.values())


def test_assignment_areas(course):
    """Is an assignment's area the area of most of its skills, and None for production or a tie?"""
    areas = pathway.assignment_areas(course)
    assert areas["02_la"] == "Linear algebra" and areas["04_ml"] == "Classical machine learning"
    assert areas["05_select"] == "Classical machine learning"  # planned: from skills.yml
    assert areas["03_serve"] is None
    assert areas["06_tf"] == "Deep learning"


def test_course_order_puts_prerequisites_first(course):
    """Does 03_serve (listed before its prerequisite 04_ml) move after it, the rest keep course order?"""
    ids = ["06_tf", "03_serve", "04_ml", "01_py", "02_la"]
    assert pathway.course_order(course, ids) == ["01_py", "02_la", "04_ml", "03_serve", "06_tf"]


def test_course_order_rejects_cycles_and_unknown_ids(course):
    """Does a prerequisite cycle or an unknown id stop with a clear error?"""
    with pytest.raises(CertlabError, match="Unknown assignment"):
        pathway.course_order(course, ["01_py", "99_nope"])
    course.manifest["assignments"][1]["prerequisites"] = ["02_la"]  # 01_py <-> 02_la
    course.__dict__.pop("assignments", None)  # drop the cached list
    with pytest.raises(CertlabError, match="cycle"):
        pathway.course_order(course, ["01_py", "02_la"])


def test_plan(course):
    """Does the plan follow the area scores, skip planned work, name planned prerequisites and
    keep one deep-learning track when asked?"""
    areas = pathway.area_scores(SELF, {"q1": 2, "q2": 1, "q3": 1, "q4": 0})
    steps = pathway.plan(course, areas)
    assert [s.assignment for s in steps] == ["01_py", "02_la", "04_ml", "03_serve", "06_tf", "07_torch"]
    actions = {s.assignment: s.action for s in steps}
    assert actions == {
        "01_py": "skim",
        "02_la": "work through",
        "04_ml": "start here",
        "03_serve": "work through",  # an area the self-assessment skips
        "06_tf": "start here",
        "07_torch": "start here",
    }
    assert next(s for s in steps if s.assignment == "03_serve").waits_for == ("05_select",)
    assert "07_torch" not in [s.assignment for s in pathway.plan(course, areas, framework="tensorflow")]
    with pytest.raises(CertlabError, match="framework"):
        pathway.plan(course, areas, framework="jax")


def test_exam_track(course):
    """Does an exam's track hold what teaches its skills plus every prerequisite, in order, with
    planned work marked, and only the framework the exam names?"""
    assert pathway.exam_track(course, "cloud") == ["01_py", "02_la", "04_ml", "05_select", "03_serve"]
    assert pathway.exam_domains(course, "cloud") == {"03_serve": ["1"]}
    steps = pathway.plan(course, pathway.area_scores(SELF, {}), ids=pathway.exam_track(course, "cloud"))
    assert [s.action for s in steps if s.assignment == "05_select"] == ["planned"]
    assert pathway.exam_track(course, "tf") == ["01_py", "02_la", "04_ml", "06_tf"]  # dl.tf.* only: no torch
    assert "07_torch" in pathway.exam_track(course, "tf", framework="pytorch")
    assert pathway.exam_track(course, "beta") == []
    with pytest.raises(CertlabError, match="Unknown exam"):
        pathway.exam_track(course, "nope")


def test_gradebook_url_never_creates_a_gradebook(tmp_path):
    """Is a missing SQLite gradebook read as an empty in-memory one, leaving no file behind?"""
    assert pathway.gradebook_url(tmp_path) == "sqlite://"
    assert not (tmp_path / "gradebook.db").exists()
    (tmp_path / "gradebook.db").touch()
    assert pathway.gradebook_url(tmp_path) == f"sqlite:///{tmp_path / 'gradebook.db'}"


def test_the_real_self_assessment_covers_every_area(repo_course):
    """Does 00_self_assessment grade all six areas, and does each foundation assignment map to its own area?"""
    cells = [c for c in repo_course.graded_cells if c.assignment == pathway.SELF_ASSESSMENT]
    assert list(pathway.area_scores(cells, {})) == list(pathway.AREA_PREFIXES)
    areas = pathway.assignment_areas(repo_course)
    assert [areas[a] for a in ("01_python_data", "02_linear_algebra")] == list(pathway.AREA_PREFIXES)[:2]


def test_the_real_plan_respects_prerequisites(repo_course):
    """In the course's own plan, does every assignment come after its written prerequisites?"""
    steps = pathway.plan(repo_course, pathway.area_scores([], {}))
    position = {s.assignment: i for i, s in enumerate(steps)}
    for step in steps:
        for p in repo_course.assignment(step.assignment).prerequisites:
            assert p not in position or position[p] < position[step.assignment], (p, step.assignment)


@pytest.mark.parametrize("name", LEARNER_NOTEBOOKS)
def test_learner_notebooks_are_clean(name):
    """Is each learner notebook committed without outputs or nbgrader metadata, on python3?"""
    nb = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for cell in nb["cells"]:
        assert "nbgrader" not in cell.get("metadata", {})
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None


def test_start_here_describes_every_exam(repo_course):
    """Does 00_start_here have a paragraph for every exam the blueprints define?"""
    nb = json.loads((NOTEBOOKS / "00_start_here.ipynb").read_text(encoding="utf-8"))
    prose = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    missing = [e for e in repo_course.blueprints if f"`{e}`" not in prose]
    assert not missing, f"no paragraph for: {missing}"


@pytest.mark.slow
@pytest.mark.parametrize("name", LEARNER_NOTEBOOKS)
def test_learner_notebooks_run(name):
    """Does each learner notebook run top to bottom (as `python -m certlab.bench.execute` runs it)?"""
    from certlab.bench.execute import run_notebook

    result = run_notebook(NOTEBOOKS / name, timeout=300)
    assert result.ok, result.error
