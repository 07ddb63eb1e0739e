"""Item banks: does every bank pass the lint rules and resist test-wise guessing, does each rule
catch a hand-made bank that breaks it, and are forms drawn with the blueprint's domain mix?"""

from __future__ import annotations

import copy
import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from certlab.bank import LETTERS, STRATEGIES, bank_paths, parse_item, play, read_bank
from certlab.bank_rules import RULES, lint_bank
from certlab.course import load_blueprints, load_skills
from certlab.errors import CertlabError
from certlab.form import apportion, draw_form, key_letters
from certlab.lint import lint_banks

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "banks"
FIXTURE_BANK = FIXTURES / "exams" / "fixture-ml.yml"
FIXTURE_BLUEPRINT = yaml.safe_load((FIXTURES / "blueprints" / "fixture-ml.yml").read_text())
SKILLS = load_skills()
BLUEPRINTS = load_blueprints()
REAL_BANKS = bank_paths()
# The fixture bank, and every bank in certlab/exams/ (a visible skip while there is none).
NO_BANK = pytest.param(
    None, id="no-bank-in-certlab-exams", marks=pytest.mark.skip(reason="no bank in certlab/exams/ yet")
)
BANKS = [pytest.param(FIXTURE_BANK, id="fixture-ml")] + (
    [pytest.param(path, id=exam) for exam, path in REAL_BANKS.items()] or [NO_BANK]
)


def blueprint_for(path: Path) -> dict:
    return FIXTURE_BLUEPRINT if path == FIXTURE_BANK else BLUEPRINTS[path.stem]


# --- every bank


@pytest.mark.parametrize("path", BANKS)
def test_bank_is_lint_clean(path):
    """Does the bank pass every rule: structure, size, domain balance, key length and position?"""
    problems = lint_bank(read_bank(path), blueprint_for(path), SKILLS)
    assert problems == [], "\n".join(f"[{p.rule}] {p.where}: {p.message}" for p in problems)


@pytest.mark.parametrize("path", BANKS)
@pytest.mark.parametrize("strategy", list(STRATEGIES))
def test_guessing_scores_within_ten_points_of_chance(path, strategy):
    """Does always-first, always-longest or uniformly random guessing score within 10 points of
    chance (1/C(n, k) per item, 1/n! for an ordering)?"""
    bank = read_bank(path)
    score, chance = play(bank.items, strategy)
    assert abs(score - chance) <= 10, f"{strategy}: {score:.1f}% against a chance of {chance:.1f}%"


@pytest.mark.parametrize("path", BANKS)
def test_bank_meets_its_size_and_domain_counts(path):
    """At least format.bank_min items and, per domain, max(8, ceil(weight x form length) + 1)?"""
    bank, bp = read_bank(path), blueprint_for(path)
    fmt = bp["format"]
    assert len(bank.items) >= max(fmt["bank_min"], fmt["questions"])
    counts = Counter(it.domain for it in bank.items)
    for d in bp["domains"]:
        assert counts[str(d["id"])] >= max(8, math.ceil(d["weight"] * fmt["questions"]) + 1), d["id"]


def test_the_five_multiple_choice_exams_state_their_real_format():
    """Are the forms' lengths, times and pass marks the published ones?"""
    expected = {
        "gcp-pmle": (50, 120, None),
        "aws-mla-c01": (65, 130, 0.72),
        "databricks-ml-associate": (48, 90, 0.70),
        "azure-ai-102": (50, 100, 0.70),
        "azure-ai-103": (50, 100, 0.70),
    }
    for exam, (questions, minutes, passing) in expected.items():
        fmt = BLUEPRINTS[exam]["format"]
        assert (fmt["questions"], fmt["minutes"], fmt["passing"]) == (questions, minutes, passing), exam
        assert fmt["kind"] == "multiple-choice" and fmt["bank_min"] > questions, exam
    assert BLUEPRINTS["tf-developer"]["format"]["kind"] == "coding"


# --- the strategies themselves


def test_chance_per_item_type():
    """1/4 for one key of four, 1/C(5, 2) for two keys of five, 1/4! for an ordering of four."""
    bank = read_bank(FIXTURE_BANK)
    by_type = {it.type: it.chance() for it in bank.items}
    assert by_type["single"] == 0.25 and by_type["case"] == 0.25
    assert by_type["multiple"] == pytest.approx(0.1) and by_type["ordering"] == pytest.approx(1 / 24)


def test_a_rigged_bank_is_caught_by_the_longest_strategy():
    """With every key made the longest option, does always-longest score far above chance?"""
    bank = read_bank(FIXTURE_BANK)
    longer = " (this holds in every case)"
    rigged = [
        replace(it, options=tuple(o + longer * (i in it.answer) for i, o in enumerate(it.options))) for it in bank.items
    ]
    score, chance = play(rigged, "longest")
    assert score - chance > 50


# --- each rule against a bank that breaks it


def raw_fixture() -> dict:
    return yaml.safe_load(FIXTURE_BANK.read_text())


def item(raw: dict, iid: str) -> dict:
    return next(it for it in raw["items"] if it["id"] == iid)


def move_key_to(it: dict, position: int) -> None:
    k = it["answer"][0]
    for field in ("options", "rationale"):
        it[field][k], it[field][position] = it[field][position], it[field][k]
    it["answer"] = [position]


def singles(raw):
    return [it for it in raw["items"] if it["type"] in ("single", "case")]


def b_missing_source(raw, bp):
    del item(raw, "fx-002")["source"]


def b_key_out_of_range(raw, bp):
    item(raw, "fx-003")["answer"] = [4]


def b_rationale_missing(raw, bp):
    item(raw, "fx-004")["rationale"].pop()


def b_duplicate_id(raw, bp):
    item(raw, "fx-005")["id"] = "fx-004"


def b_no_format(raw, bp):
    del bp["format"]


def b_unknown_domain(raw, bp):
    item(raw, "fx-009")["domain"] = "9"


def b_unknown_skill(raw, bp):
    item(raw, "fx-010")["skills"] = ["no.such_skill"]


def b_unknown_case(raw, bp):
    item(raw, "fx-015")["case"] = "fx-case-9"


def b_choose_count(raw, bp):
    item(raw, "fx-014")["stem"] = item(raw, "fx-014")["stem"].replace("Choose two.", "Choose three.")


def b_all_of_the_above(raw, bp):
    item(raw, "fx-013")["options"][0] = "All of the above"


def b_duplicate_options(raw, bp):
    it = item(raw, "fx-011")
    it["options"][1] = it["options"][2].upper()


def b_duplicate_stem(raw, bp):
    item(raw, "fx-016")["stem"] = item(raw, "fx-013")["stem"]


def b_bank_too_small(raw, bp):
    bp["format"]["bank_min"] = 20


def b_domain_short(raw, bp):
    item(raw, "fx-004")["domain"] = "2"


def b_key_longest(raw, bp):
    for it in singles(raw):
        k = it["answer"][0]
        it["options"][k] = max(it["options"], key=len) + " today"


def b_key_out_of_range_length(raw, bp):
    for it in singles(raw):
        it["options"][it["answer"][0]] = "Yes"


def b_key_far_too_long(raw, bp):
    it = item(raw, "fx-013")
    it["options"][2] += ", since its scores order positives and negatives no better than a coin toss would"


def b_key_always_first(raw, bp):
    for it in singles(raw):
        move_key_to(it, 0)


def b_distractor_of_another_vendor(raw, bp):
    bp["vendor"] = "Google Cloud"
    item(raw, "fx-011")["options"][1] = "Amazon SageMaker Autopilot over all days"


def b_retired_product(raw, bp):
    bp["retired_products"] = [
        {"what": "AutoML text training on Vertex AI", "pattern": "AutoML (text|natural language)"}
    ]
    item(raw, "fx-009")["options"][0] = "An AutoML text classification model"


BREAKAGES = [
    (b_missing_source, "structure", "fx-002"),
    (b_key_out_of_range, "structure", "fx-003"),
    (b_rationale_missing, "structure", "fx-004"),
    (b_duplicate_id, "ids", "fx-004"),
    (b_no_format, "blueprint", "format"),
    (b_unknown_domain, "domain", "fx-009"),
    (b_unknown_skill, "skills", "fx-010"),
    (b_unknown_case, "case", "fx-015"),
    (b_choose_count, "choose-count", "fx-014"),
    (b_all_of_the_above, "all-of-the-above", "fx-013"),
    (b_duplicate_options, "duplicate-options", "fx-011"),
    (b_duplicate_stem, "duplicate-stem", "fx-016"),
    (b_bank_too_small, "bank-size", "at least 20"),
    (b_domain_short, "domain-balance", "domain 1"),
    (b_key_longest, "key-longest", "longest"),
    (b_key_out_of_range_length, "key-in-range", "range"),
    (b_key_far_too_long, "key-length", "fx-013"),
    (b_key_always_first, "key-position", "position 0"),
    (b_key_always_first, "guessing", "always-first"),
    (b_distractor_of_another_vendor, "distractor-vendor", "SageMaker"),
    (b_retired_product, "retired-product", "fx-009"),
]


def test_fixture_bank_is_clean():
    """Is the untouched fixture bank clean, so that each case below breaks one thing?"""
    assert lint_bank(read_bank(FIXTURE_BANK), FIXTURE_BLUEPRINT, SKILLS) == []


def test_every_rule_has_a_breaking_fixture():
    assert {rule for _, rule, _ in BREAKAGES} == set(RULES)


@pytest.mark.parametrize(("breakage", "rule", "where"), BREAKAGES, ids=[f"{b[1]}:{b[0].__name__}" for b in BREAKAGES])
def test_rule_catches_breakage(tmp_path, breakage, rule, where):
    """Does the rule report the broken bank, naming the item or the figure, with a fix?"""
    raw, bp = raw_fixture(), copy.deepcopy(FIXTURE_BLUEPRINT)
    breakage(raw, bp)
    path = tmp_path / "fixture-ml.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    hits = [p for p in lint_bank(read_bank(path), bp, SKILLS) if p.rule == rule]
    assert hits, f"no [{rule}] problem"
    assert any(where in f"{p.where} {p.message}" for p in hits), [(p.where, p.message) for p in hits]
    assert all(p.fix for p in hits)


def test_a_vendor_named_in_the_scenario_is_a_fair_distractor(tmp_path):
    """A distractor may name another vendor's product when the stem is about that vendor."""
    raw, bp = raw_fixture(), copy.deepcopy(FIXTURE_BLUEPRINT)
    b_distractor_of_another_vendor(raw, bp)
    item(raw, "fx-011")["stem"] += " The data is exported from AWS."
    path = tmp_path / "fixture-ml.yml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    assert [p for p in lint_bank(read_bank(path), bp, SKILLS) if p.rule == "distractor-vendor"] == []


def test_lint_reports_a_malformed_bank_file(tmp_path, repo_course):
    """Does `certlab lint` name a bank that is not valid YAML, and one whose items are not a list?"""
    (tmp_path / "gcp-pmle.yml").write_text("items: [\n")
    (tmp_path / "aws-mla-c01.yml").write_text("exam: aws-mla-c01\nitems: {a: 1}\n")
    found = {v.path: str(v) for v in lint_banks(repo_course, tmp_path)}
    assert "invalid YAML" in found["certlab/exams/gcp-pmle.yml"]
    assert "list under `items:`" in found["certlab/exams/aws-mla-c01.yml"]


def test_parse_item_names_each_fault():
    it = parse_item({"id": "x", "type": "multiple", "options": ["a", "b", "c"], "answer": [0]}, 0)
    assert not it.ok
    text = " | ".join(it.problems)
    assert "missing stem" in text and "2..2 keys, not 1" in text and "0 rationales for 3 options" in text


# --- forms


def test_apportion_is_largest_remainder_and_respects_capacity():
    w = {"1": 0.13, "2": 0.14, "3": 0.18, "4": 0.20, "5": 0.22, "6": 0.13}
    big = dict.fromkeys(w, 99)
    assert apportion(w, 50, big) == {"1": 7, "2": 7, "3": 9, "4": 10, "5": 11, "6": 6}
    capped = apportion(w, 50, {**big, "5": 8})
    assert capped["5"] == 8 and sum(capped.values()) == 50
    with pytest.raises(CertlabError, match="cannot fill 50"):
        apportion(w, 50, dict.fromkeys(w, 5))


def test_a_form_has_the_length_and_domain_mix_and_keeps_cases_together():
    bank = read_bank(FIXTURE_BANK)
    for seed in range(30):
        form = draw_form(bank, FIXTURE_BLUEPRINT, seed)
        items = [bank.item(f.item_id) for f in form.items]
        assert len(items) == 8 and len({it.id for it in items}) == 8
        assert Counter(it.domain for it in items) == {"1": 4, "2": 4}
        cases = [i for i, it in enumerate(items) if it.type == "case"]
        assert cases == list(range(cases[0], cases[0] + len(cases))), "a case study's items stay together"
        for f, it in zip(form.items, items, strict=True):
            assert sorted(f.order) == list(range(len(it.options)))
            if it.type == "ordering":
                assert tuple(f.order) != it.answer, "an ordering is never shown in order"


def test_same_seed_same_form_other_seed_other_form():
    bank = read_bank(FIXTURE_BANK)
    assert draw_form(bank, FIXTURE_BLUEPRINT, 7).signature() == draw_form(bank, FIXTURE_BLUEPRINT, 7).signature()
    forms = {str(draw_form(bank, FIXTURE_BLUEPRINT, s).signature()) for s in range(20)}
    assert len(forms) == 20


def test_key_letters_follow_the_shuffle():
    """The shown key points at the bank's key wherever the shuffle put it."""
    bank = read_bank(FIXTURE_BANK)
    for f in draw_form(bank, FIXTURE_BLUEPRINT, 3).items:
        it = bank.item(f.item_id)
        letters = key_letters(it, f.order)
        shown = [f.order[LETTERS.index(ch)] for ch in letters]
        assert (shown if it.type == "ordering" else sorted(shown)) == (
            list(it.answer) if it.type == "ordering" else sorted(it.answer)
        )


@pytest.mark.parametrize("path", BANKS)
def test_every_bank_draws_a_full_form(path):
    """A form of the real length with the blueprint's largest-remainder domain mix."""
    bank, bp = read_bank(path), blueprint_for(path)
    form = draw_form(bank, bp, seed=1)
    counts = Counter(bank.item(f.item_id).domain for f in form.items)
    weights = {str(d["id"]): d["weight"] for d in bp["domains"]}
    assert len(form.items) == bp["format"]["questions"]
    assert counts == apportion(weights, bp["format"]["questions"], Counter(it.domain for it in bank.items))
