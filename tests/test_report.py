"""Does `certlab report` give the hand-computed mastery, domain and readiness figures on a
seeded gradebook, and write an HTML page with its charts?"""

from __future__ import annotations

import pytest

from certlab.check import check
from certlab.cli import main
from certlab.course import Course
from certlab.report import learner_report, render_html
from tests.test_check import ANSWERS, learner_notebook

pytestmark = pytest.mark.slow


@pytest.fixture
def seeded(tiny_course, tmp_path):
    """Learner 'lee': double 1/1, mean 0/2 (untouched), mse 0/2 (wrong), minmax 2/2."""
    path = learner_notebook(tiny_course, tmp_path / "w" / "01_tiny.ipynb", ANSWERS)
    check(path, root=tiny_course, student="lee")
    return tiny_course


def test_hand_computed_figures(seeded):
    """aws-mla-c01: §1 has data.scaling (2/2), §2 has ml.regression_metrics (0/2); others untested."""
    course = Course(seeded)
    report = learner_report(course, "lee", exam="aws-mla-c01")
    assert report.stats["data.scaling"].mastery == 1.0
    assert report.stats["ml.regression_metrics"].mastery == 0.0
    assert report.stats["data.eda"].mastery == 0.0 and report.stats["python.core"].mastery == 1.0
    mla = report.exams[0]
    d1, d2, d3, d4 = mla.domains
    assert d1.mastery == 1.0 and d2.mastery == 0.0 and d3.mastery is None and d4.mastery is None
    assert mla.readiness == pytest.approx(0.28 * 1.0)
    blueprint_skills = {s for d in course.blueprints["aws-mla-c01"]["domains"] for s in d["skills"]}
    assert mla.coverage == pytest.approx(2 / len(blueprint_skills))


def test_retired_exam_maps_onto_its_successor(seeded):
    """Does asking for a retired exam also report its successor?"""
    report = learner_report(Course(seeded), "lee", exam="aws-mls-c01")
    ids = [r.exam_id for r in report.exams]
    assert ids == ["aws-mls-c01", "aws-mla-c01"]
    # MLS-C01: §2 EDA has data.scaling 2/2 and data.eda 0/2 → 0.5; §3 Modeling has mse 0/2.
    mls = report.exams[0]
    assert mls.domains[1].mastery == pytest.approx(0.5)
    assert mls.readiness == pytest.approx(0.24 * 0.5)


def test_terminal_and_html(seeded, tmp_path, capsys, monkeypatch):
    """Does the CLI print readiness beside coverage and write a self-contained HTML page?"""
    monkeypatch.setenv("COLUMNS", "200")
    page = tmp_path / "report.html"
    assert main(["--root", str(seeded), "report", "--student", "lee", "--html", str(page)]) == 0
    out = capsys.readouterr().out
    assert "readiness" in out and "coverage" in out and "retired 2026-03-31 → aws-mla-c01" in out
    text = page.read_text()
    assert text.count("data:image/png;base64,") >= 2 and "<script" not in text


def test_render_html_labels_closed_exams(seeded):
    """Is a closed exam labelled as such in the page?"""
    course = Course(seeded)
    text = render_html(course, learner_report(course, "lee"))
    assert "closed 2024-05-01, no successor" in text


def test_mock_exam_hand_ins_beside_mastery(bank_course, tmp_path):
    """A form's hand-in gives readiness per domain with the items behind it, in the terminal
    table's data and in the HTML page; an exam without a form says so instead of showing 0%."""
    import json

    from certlab.exam import start_form
    from tests.test_mock_exams import answer, keys

    course = Course(bank_course)
    path, form, _ = start_form(course, "fixture-ml", tmp_path / "exams", seed=3)
    given = keys(path)
    first = sorted(given)[0]
    given[first] = "A" if given[first] != "A" else "B"  # one wrong answer (a single-letter item or not)
    answer(path, {q: k for q, k in given.items() if len(k) == 1 or q != first})
    check(path, root=bank_course, student="lee")
    report = learner_report(course, "lee", exam="fixture-ml")
    mock = report.mocks["fixture-ml"]
    assert len(mock.attempts) == 1 and mock.items == 8
    assert sum(d.correct for d in mock.domains) == 7
    assert mock.readiness == pytest.approx(sum(0.5 * d.correct / d.items for d in mock.domains))
    page = render_html(course, report)
    assert "(1 form, 8 items)" in page
    other = render_html(course, learner_report(course, "lee", exam="aws-mla-c01"))
    assert "no form yet" in other
    assert json.loads(path.read_text())["metadata"]["certlab"]["form"]["seed"] == 3
