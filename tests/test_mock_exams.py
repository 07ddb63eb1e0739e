"""Do the mock exams in source/31_mock_exams/ follow their blueprints? One notebook per exam, items
drawn across the domains in proportion to the weights, every item tagged with its exam, domain and
that domain's skills, and a stated time limit."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from certlab.course import load_blueprints
from certlab.notebooks import certlab_meta, is_test, nbgrader_meta, read_notebook

REPO = Path(__file__).resolve().parent.parent
MOCKS = REPO / "source" / "31_mock_exams"
NOTEBOOKS = sorted(MOCKS.glob("*.ipynb"))
BLUEPRINTS = load_blueprints()
EXPECTED = {"gcp-pmle", "aws-mla-c01", "azure-ai-102", "tf-developer", "databricks-ml-associate"}
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS(.*?)### END HIDDEN TESTS", re.S)
WHY = re.compile(r"""print\(\s*["']Why: """)


def items(path: Path) -> dict[str, dict]:
    """Exercise name -> {domain, skills, cells} for every autograded test cell of a mock exam."""
    found: dict[str, dict] = {}
    for cell in read_notebook(path).cells:
        if not is_test(cell):
            continue
        meta = certlab_meta(cell)
        item = found.setdefault(meta.get("exercise"), {"domains": set(), "exams": set(), "skills": [], "cells": []})
        item["domains"].add(meta.get("domain"))
        item["exams"].add(meta.get("exam"))
        item["skills"] += meta.get("skills", [])
        item["cells"].append(cell)
    return found


def test_one_notebook_per_exam():
    """Is there exactly one mock exam for each exam the course prepares for, named by its id?"""
    assert {p.stem for p in NOTEBOOKS} == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_metadata_names_the_exam_and_its_time_limit(path):
    """Does the notebook's metadata name its exam and minutes, and does the intro state the same limit?"""
    nb = read_notebook(path)
    meta = nb.metadata.get("certlab", {})
    assert meta.get("exam") == path.stem and path.stem in BLUEPRINTS
    assert isinstance(meta.get("minutes"), int) and meta["minutes"] > 0
    intro = nb.cells[0].source
    assert f"Time limit: {meta['minutes']} minutes" in intro, "the intro must state the time limit"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_item_is_tagged_with_its_exam_and_one_domain(path):
    """Does every test cell carry certlab.exam (this exam) and one certlab.domain of its blueprint?"""
    domain_ids = {str(d["id"]) for d in BLUEPRINTS[path.stem]["domains"]}
    for name, item in items(path).items():
        assert name, "every test cell names its exercise"
        assert item["exams"] == {path.stem}, f"{name}: exam metadata {item['exams']}"
        assert len(item["domains"]) == 1 and item["domains"] <= domain_ids, f"{name}: domain {item['domains']}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_items_follow_the_domain_weights(path):
    """Is every domain represented, with |items - weight x total| <= 1 for each domain?"""
    found = items(path)
    counts = Counter(next(iter(item["domains"])) for item in found.values())
    total = len(found)
    for domain in BLUEPRINTS[path.stem]["domains"]:
        did = str(domain["id"])
        assert counts[did] >= 1, f"domain {did} has no item"
        assert abs(counts[did] - domain["weight"] * total) <= 1, (
            f"domain {did}: {counts[did]} of {total} items for a weight of {domain['weight']}"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_item_skills_belong_to_their_domain(path):
    """Does every item practise only skills that its blueprint domain lists?"""
    domains = {str(d["id"]): set(d["skills"]) for d in BLUEPRINTS[path.stem]["domains"]}
    for name, item in items(path).items():
        domain = next(iter(item["domains"]))
        assert item["skills"], f"{name} has no skills"
        stray = set(item["skills"]) - domains[domain]
        assert not stray, f"{name}: {sorted(stray)} are not skills of domain {domain}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_scenario_items_explain_their_answer_in_the_hidden_tests(path):
    """Does every multiple-choice item print its explanation only in the hidden part of its test?"""
    for name, item in items(path).items():
        for cell in item["cells"]:
            if "_answer in (" not in cell.source:
                continue
            hidden = "".join(HIDDEN.findall(cell.source))
            visible = HIDDEN.sub("", cell.source)
            assert WHY.search(hidden), f"{name}: no explanation in the hidden tests"
            assert "Why:" not in visible, f"{name}: the explanation must stay hidden until grading"


def test_exercise_names_and_grade_ids_are_unique_across_the_exams():
    """Are exercise names (which wrong-answer cases use) and grade ids unique over the five notebooks?"""
    names, grade_ids = Counter(), Counter()
    for path in NOTEBOOKS:
        for cell in read_notebook(path).cells:
            if nbgrader_meta(cell).get("grade_id"):
                grade_ids[nbgrader_meta(cell)["grade_id"]] += 1
        names.update(list(items(path)))
    assert [n for n, c in names.items() if c > 1] == []
    assert [g for g, c in grade_ids.items() if c > 1] == []
