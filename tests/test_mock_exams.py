"""Mock exams: the multiple-choice part is a timed form drawn from the exam's item bank; the
notebooks in source/31_mock_exams/ are the cloud exams' hands-on labs (scored on their own) and the
TensorFlow coding exam. Does a form run end to end (start, answer, check, report), does a second
attempt draw another form, and does a regrade from the recorded seed give the same result?"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from certlab.cli import main
from certlab.course import Course, load_blueprints
from certlab.learner.bank import load_bank
from certlab.learner.check import check
from certlab.learner.exam import FORM_RESULT, start_form
from certlab.learner.form import draw_form, key_letters, recorded_form
from certlab.learner.usage import read_usage
from certlab.notebooks import certlab_meta, is_test, nbgrader_meta, read_notebook

REPO = Path(__file__).resolve().parent.parent
MOCKS = REPO / "source" / "31_mock_exams"
NOTEBOOKS = sorted(MOCKS.glob("*.ipynb"))
BLUEPRINTS = load_blueprints()
EXPECTED = {"gcp-pmle", "aws-mla-c01", "azure-ai-102", "tf-developer", "databricks-ml-associate"}
LABS = [p for p in NOTEBOOKS if BLUEPRINTS[p.stem]["format"]["kind"] == "multiple-choice"]
CODING = [p for p in NOTEBOOKS if BLUEPRINTS[p.stem]["format"]["kind"] == "coding"]


def items(path: Path) -> dict[str, dict]:
    """Exercise name -> {domain, skills, cells} for every autograded test cell of a mock notebook."""
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


# --- the notebooks


def test_one_notebook_per_exam():
    """Is there exactly one mock notebook for each exam the course prepares for, named by its id?"""
    assert {p.stem for p in NOTEBOOKS} == EXPECTED
    assert [p.stem for p in CODING] == ["tf-developer"]


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
    """Does every test cell carry certlab.learner.exam (this exam) and one certlab.domain of its blueprint?"""
    domain_ids = {str(d["id"]) for d in BLUEPRINTS[path.stem]["domains"]}
    for name, item in items(path).items():
        assert name, "every test cell names its exercise"
        assert item["exams"] == {path.stem}, f"{name}: exam metadata {item['exams']}"
        assert len(item["domains"]) == 1 and item["domains"] <= domain_ids, f"{name}: domain {item['domains']}"


@pytest.mark.parametrize("path", CODING, ids=[p.stem for p in CODING])
def test_coding_exam_follows_the_domain_weights(path):
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


@pytest.mark.parametrize("path", LABS, ids=[p.stem for p in LABS])
def test_cloud_notebooks_are_labs_without_multiple_choice(path):
    """Is each cloud notebook marked as the lab, free of letter-choice items (the bank has them),
    and does its intro send the learner to the form for the exam itself?"""
    nb = read_notebook(path)
    assert nb.metadata["certlab"].get("part") == "lab"
    letters = re.compile(r"""_answer\s*=\s*["'][a-e]["']|_answer in \(""")
    assert not [c for c in nb.cells if c.cell_type == "code" and letters.search(c.source)]
    assert all(re.fullmatch(r"[a-z]+_lab\d+", name) for name in items(path)), sorted(items(path))
    intro = nb.cells[0].source
    assert f"`certlab exam start {path.stem}`" in intro and f"`certlab exam start {path.stem} --lab`" in intro
    assert "scored on its own" in intro


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


# --- forms, end to end (on the fixture exam `fixture-ml`: an 8-question form from 16 items)


def keys(path: Path) -> dict[str, str]:
    """Question -> the key in the letters shown on this form."""
    nb = read_notebook(path)
    form = recorded_form(nb)
    bank = load_bank(form.exam)
    return {f.qid: key_letters(bank.item(f.item_id), f.order) for f in form.items}


def wrong(key: str) -> str:
    """A wrong answer of the same shape: another letter, or the order reversed."""
    if len(key) == 1:
        return "A" if key != "A" else "B"
    return key[::-1] if len(key) > 2 else ("AB" if key != "AB" else "AC")


def answer(path: Path, answers: dict[str, str]) -> None:
    """Fill the form's answer cells as a learner would: "B", ["A", "D"] or "CADB"."""
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        qid = cell["metadata"].get("certlab", {}).get("form_answer")
        if qid in answers:
            value = answers[qid]
            literal = json.dumps(list(value)) if len(value) == 2 else json.dumps(value.lower())
            cell["source"] = f'answer["{qid}"] = {literal}'
    path.write_text(json.dumps(nb, indent=1))


def results(root: Path) -> list[dict]:
    return [e for e in read_usage(root) if e.get("kind") == FORM_RESULT]


@pytest.mark.slow
def test_form_end_to_end(bank_course, monkeypatch, capsys):
    """Start a form, answer it (some right, some wrong, one blank), check, report; a second attempt
    draws another form; a regrade from the recorded seed gives the same result."""
    monkeypatch.chdir(bank_course)
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["exam", "start", "fixture-ml"]) == 0
    (path,) = (bank_course / "my_exams").glob("*.ipynb")
    nb = read_notebook(path)
    text = "\n".join(c.source for c in nb.cells)
    assert "Hint" not in text and "rationale" not in text.lower()
    bank = load_bank("fixture-ml")
    assert not any(r in text for it in bank.items for r in it.rationale), "no rationale while the clock runs"
    form = recorded_form(nb)
    assert len(form.items) == 8

    key = keys(path)
    qids = sorted(key)
    domain = {f.qid: bank.item(f.item_id).domain for f in form.items}
    right = [q for q in qids if domain[q] == "1"]  # all of domain 1 right
    missed = [q for q in qids if domain[q] == "2"]
    given = {q: key[q] for q in right} | {q: wrong(key[q]) for q in missed[1:]}  # missed[0] left blank
    answer(path, given)
    capsys.readouterr()
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "§1 Data preparation" in out and "4/4" in out and "0/4" in out and "4/8" in out
    assert "FAIL against the pass mark of 75%" in out
    blank = bank.item(next(f.item_id for f in form.items if f.qid == missed[0]))
    assert f"{missed[0]} ({blank.id}" in out and "no answer" in out
    assert blank.rationale[blank.answer[0]] in out, "a missed item shows its rationale"
    assert "Revise: " + blank.skills[0] in out
    (first,) = results(bank_course)
    assert first["score"] == 4 and first["total"] == 8 and first["passed"] is False

    assert main(["report", "--exam", "fixture-ml"]) == 0
    out = capsys.readouterr().out
    assert "50% (1 form, 8 items)" in out
    assert "4/4 = 100%" in out and "0/4 = 0%" in out

    # a regrade: the recorded seed draws the same form, and checking again gives the same score
    assert draw_form(bank, Course(bank_course).blueprints["fixture-ml"], form.seed).signature() == form.signature()
    again = check(path, student="lee")
    assert again.score == 4 and again.handed_in and again.flags == []
    assert main(["report", "--exam", "fixture-ml"]) == 0
    assert "(1 form, 8 items)" in capsys.readouterr().out, "a regrade is not a second hand-in"

    # a second attempt draws a different form
    assert main(["exam", "start", "fixture-ml"]) == 0
    (second,) = set((bank_course / "my_exams").glob("*.ipynb")) - {path}
    assert recorded_form(read_notebook(second)).signature() != form.signature()
    answer(second, keys(second))
    assert main(["check", str(second)]) == 0
    out = capsys.readouterr().out
    assert "PASS" in out and "8/8" in out
    assert main(["report", "--exam", "fixture-ml"]) == 0
    out = capsys.readouterr().out
    assert "75% (2 forms, 16 items)" in out, "4/8 then 8/8: 12 of 16 items over both forms"
    assert "8/8 = 100%" in out and "4/8 = 50%" in out


def test_a_late_hand_in_does_not_pass(bank_course, tmp_path):
    """All right but 20 minutes over the 16-minute limit: marked late, and not a pass."""
    course = Course(bank_course)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=36)
    path, form, minutes = start_form(course, "fixture-ml", tmp_path / "exams", now=start)
    assert minutes == 16
    answer(path, keys(path))
    result = check(path, root=bank_course, student="lee")
    assert result.score == result.max_score == 8
    assert result.over_time and result.passed is False and result.timing.startswith("over time by 20 min")
    assert results(bank_course)[0]["over_time"] is True


def test_answers_changed_after_the_hand_in_are_flagged_and_not_counted(bank_course, tmp_path):
    path, form, _ = start_form(Course(bank_course), "fixture-ml", tmp_path / "exams", seed=11)
    answer(path, {q: wrong(k) for q, k in keys(path).items()})
    assert check(path, root=bank_course, student="lee").score == 0
    answer(path, keys(path))  # the rationales have been seen: now everything is right
    again = check(path, root=bank_course, student="lee")
    assert again.score == 8 and any("answers changed since the hand-in" in f for f in again.flags)
    from certlab.learner.exam import mock_summary

    summary = mock_summary(Course(bank_course), "lee", "fixture-ml")
    assert len(summary.attempts) == 1 and summary.attempts[0]["score"] == 0


def test_an_edited_form_is_flagged(bank_course, tmp_path):
    """Swapping two questions' option orders in the metadata no longer matches the seed's draw."""
    path, form, _ = start_form(Course(bank_course), "fixture-ml", tmp_path / "exams", seed=5)
    nb = json.loads(path.read_text())
    items = nb["metadata"]["certlab"]["form"]["items"]
    items[0][2], items[1][2] = items[1][2], items[0][2]
    path.write_text(json.dumps(nb))
    result = check(path, root=bank_course, student="lee", record=False)
    assert any("metadata was edited" in f for f in result.flags)
    assert any("differs from the one recorded when it was started" in f for f in result.flags)


def test_same_seed_same_form_and_answer_shapes(bank_course, tmp_path):
    """--seed redraws a form exactly; answers in lower case, as lists or with spaces all read."""
    course = Course(bank_course)
    a, form_a, _ = start_form(course, "fixture-ml", tmp_path / "a", seed=42)
    b, form_b, _ = start_form(course, "fixture-ml", tmp_path / "b", seed=42)
    assert form_a.signature() == form_b.signature()
    nb = json.loads(a.read_text())
    for cell in nb["cells"]:
        qid = cell["metadata"].get("certlab", {}).get("form_answer")
        if qid:
            k = keys(a)[qid]
            cell["source"] = f'answer["{qid}"] = ' + (repr(", ".join(k)) if len(k) == 2 else repr(f" {k.lower()} "))
    a.write_text(json.dumps(nb))
    assert check(a, root=bank_course, student="lee", record=False).score == 8


def test_retired_exam_draws_from_its_successors_bank(bank_course, tmp_path):
    path, form, _ = start_form(Course(bank_course), "fixture-old", tmp_path / "exams", seed=1)
    assert form.exam == "fixture-ml" and path.name.startswith("fixture-ml-")
    assert read_notebook(path).metadata["certlab"]["form"]["requested"] == "fixture-old"


def test_clear_errors(bank_course, tmp_path, monkeypatch, capsys):
    """Unknown exam, an exam without a bank, a malformed bank: one line each, exit code 2."""
    assert main(["--root", str(bank_course), "exam", "start", "no-such-exam"]) == 2
    assert "unknown exam 'no-such-exam'" in capsys.readouterr().err
    assert main(["--root", str(bank_course), "exam", "start", "gcp-pmle"]) == 2
    err = capsys.readouterr().err
    assert "no item bank for gcp-pmle" in err and "--lab" in err
    import certlab.learner.bank

    broken = tmp_path / "banks"
    broken.mkdir()
    text = (certlab.learner.bank.BANK_DIR / "fixture-ml.yml").read_text().replace("answer: [3]", "answer: [7]", 1)
    (broken / "fixture-ml.yml").write_text(text)
    monkeypatch.setattr(certlab.learner.bank, "BANK_DIR", broken)
    assert main(["--root", str(bank_course), "exam", "start", "fixture-ml", "--dest", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert "malformed item bank" in err and "item fx-003: answer must list option indices" in err
    assert "Traceback" not in err


def test_exam_list_and_usage(bank_course, capsys, monkeypatch):
    """`certlab exam list` names each exam's form, pass mark and bank; `certlab exam` alone is usage."""
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["--root", str(bank_course), "exam", "list"]) == 0
    rows = {line.split("│")[1].strip(): line for line in capsys.readouterr().out.splitlines() if "│" in line}
    assert "8 questions, 16 min" in rows["fixture-ml"] and "75%" in rows["fixture-ml"]
    assert "16 items" in rows["fixture-ml"] and "uses fixture-ml's" in rows["fixture-old"]
    assert "coding tasks" in rows["tf-developer"]
    assert main(["--root", str(bank_course), "exam"]) == 2
