"""Do mastery, domain mastery, readiness and coverage follow the formulae of docs/architecture.md?"""

from __future__ import annotations

import pytest

from certlab.mastery import exam_result, skill_stats
from certlab.notebooks import GradedCell

CELLS = [
    GradedCell("01_a", "01_a", "c1", 2, ("s.one",)),
    GradedCell("01_a", "01_a", "c2", 3, ("s.one", "s.two")),
    GradedCell("02_b", "02_b", "c3", 5, ("s.three",)),
]
BLUEPRINT = {
    "id": "exam",
    "name": "Exam",
    "status": "active",
    "domains": [
        {"id": "1", "name": "first", "weight": 0.6, "skills": ["s.one", "s.two"]},
        {"id": "2", "name": "second", "weight": 0.3, "skills": ["s.three", "s.four"]},
        {"id": "3", "name": "third", "weight": 0.1, "skills": ["s.five"]},
    ],
}


def test_hand_computed_example():
    """Earned c1=2/2, c2=1/3, c3 not attempted: do the figures match a hand computation?"""
    stats = skill_stats(CELLS, {"c1": 2, "c2": 1})
    assert stats["s.one"].earned == 3 and stats["s.one"].possible == 5
    assert stats["s.two"].mastery == pytest.approx(1 / 3)
    assert stats["s.three"].mastery == 0.0
    result = exam_result(BLUEPRINT, stats)
    first, second, third = result.domains
    # domain 1: (3 + 1) / (5 + 3) = 0.5; domain 2: 0 / 5; domain 3: nothing exercises it
    assert first.mastery == pytest.approx(0.5)
    assert second.mastery == 0.0 and second.coverage == 0.5
    assert third.mastery is None and third.coverage == 0.0
    assert result.readiness == pytest.approx(0.6 * 0.5)
    assert result.coverage == pytest.approx(3 / 5)
    assert [d.id for d in result.weakest(2)] == ["2", "3"]


def test_scores_above_points_are_capped():
    """Can a cell contribute more than its points (e.g. a tampered gradebook)? It must not."""
    stats = skill_stats(CELLS, {"c1": 50})
    assert stats["s.one"].earned == 2


def test_exam_without_domains_has_no_readiness():
    """Does a beta exam with no published outline report no readiness rather than 0?"""
    result = exam_result({"id": "beta", "domains": []}, skill_stats(CELLS, {}))
    assert result.readiness is None and result.coverage == 0.0
