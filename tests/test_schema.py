"""Are the skills, blueprints and course manifest sound, and does the schema check catch errors?"""

from __future__ import annotations

import copy

import pytest

from certlab.course import load_blueprints, load_skills
from certlab.schema import check_blueprints, check_skills

EXAMS = {"gcp-pmle", "aws-mls-c01", "aws-mla-c01", "azure-ai-102", "tf-developer", "databricks-ml-associate"}


@pytest.fixture(scope="module")
def skills():
    return load_skills()


@pytest.fixture(scope="module")
def blueprints():
    return load_blueprints()


def test_repository_data_is_valid(repo_course, skills, blueprints):
    """Do the shipped skills and blueprints pass every schema rule?"""
    ids = {a.id for a in repo_course.assignments}
    assert check_skills(skills, ids) == []
    assert check_blueprints(blueprints, skills) == []


def test_taxonomy_and_manifest_cover_the_curriculum(repo_course, skills):
    """Are there 60+ skills and 24+ assignments across every track?"""
    assert len(skills) >= 60
    assert len(repo_course.assignments) >= 24
    tracks = {a.track for a in repo_course.assignments}
    assert tracks == {"foundations", "classical", "tensorflow", "pytorch", "production", "genai", "assessment"}


def test_every_exam_of_the_mission_has_a_blueprint(blueprints):
    """Is each exam the course prepares for present, with its status and provenance?"""
    assert EXAMS <= set(blueprints)
    assert blueprints["aws-mls-c01"]["status"] == "retired" and blueprints["aws-mls-c01"]["successor"] == "aws-mla-c01"
    assert blueprints["tf-developer"]["status"] == "closed" and blueprints["tf-developer"]["successor"] is None
    assert blueprints["azure-ai-102"]["successor"] == "azure-ai-103"
    assert blueprints["azure-ai-102"]["source_quality"] == "reported"


def test_gcp_weights_match_the_2024_guide(blueprints):
    """Are the Google PMLE section weights those of the 2024 guide?"""
    weights = [d["weight"] for d in blueprints["gcp-pmle"]["domains"]]
    assert weights == [0.13, 0.14, 0.18, 0.20, 0.22, 0.13]


def test_azure_weights_are_normalised_midpoints(blueprints):
    """Is each AI-102 weight the midpoint of its published range, normalised to sum to 1?"""
    domains = blueprints["azure-ai-102"]["domains"]
    mids = []
    for d in domains:
        low, high = (float(x) for x in d["weight_range"].rstrip("%").split("–"))
        mids.append((low + high) / 2)
    for d, mid in zip(domains, mids, strict=True):
        assert d["weight"] == pytest.approx(mid / sum(mids), abs=1e-6)


def test_wrong_weight_sum_is_caught(blueprints, skills):
    """Does a blueprint whose weights do not sum to 1 fail the check?"""
    broken = copy.deepcopy(blueprints)
    broken["gcp-pmle"]["domains"][0]["weight"] = 0.30
    problems = check_blueprints(broken, skills)
    assert any("gcp-pmle" in p and "sum to" in p for p in problems)


def test_unknown_skill_is_caught(blueprints, skills):
    """Does a domain naming a skill that skills.yml lacks fail the check?"""
    broken = copy.deepcopy(blueprints)
    broken["aws-mla-c01"]["domains"][1]["skills"].append("ml.telepathy")
    problems = check_blueprints(broken, skills)
    assert any("ml.telepathy" in p for p in problems)


def test_unresolved_successor_and_status_are_caught(blueprints, skills):
    """Do a successor without a blueprint, a retired exam without a date and a bad status fail?"""
    broken = copy.deepcopy(blueprints)
    broken["aws-mls-c01"]["successor"] = "aws-mla-c99"
    broken["aws-mls-c01"]["status_date"] = None
    broken["gcp-pmle"]["status"] = "gone"
    problems = " | ".join(check_blueprints(broken, skills))
    assert "aws-mla-c99" in problems and "needs status_date" in problems and "'gone'" in problems


def test_bad_skill_entries_are_caught():
    """Does the taxonomy check reject malformed ids, missing titles and unknown assignments?"""
    problems = check_skills(
        {"Bad Id": {"title": "x"}, "ok.id": {"title": ""}, "ok.two": {"title": "t", "assignments": ["99_x"]}}, {"01_a"}
    )
    assert len(problems) == 3
