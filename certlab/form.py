"""Timed forms: one attempt at a mock exam, drawn from the exam's item bank.

A form has the real exam's length (the blueprint's ``format.questions``) and its domain mix (the
weights, apportioned by largest remainder and never more than a domain holds). A case study's
items stay together, after their scenario. Every item's options are shuffled and its key remapped.
Everything follows from the bank and one seed, which the form records with its item ids and option
orders, so the same form can be drawn and graded again.

The form is written as a notebook: one markdown cell per question and one small answer cell per
question (``answer["q07"] = "B"``), with no hints and no rationale while the clock runs.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from certlab.bank import LETTERS, Bank, Item
from certlab.bank_rules import CHOOSE
from certlab.errors import CertlabError

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


@dataclass(frozen=True)
class FormItem:
    qid: str  # "q07": the question's number on this form
    item_id: str
    order: tuple[int, ...]  # the option shown at position j is the bank's option order[j]


@dataclass
class Form:
    exam: str
    seed: int
    items: list[FormItem]

    def signature(self) -> list[list]:
        """Items and option orders, as recorded in the notebook and the usage log."""
        return [[f.qid, f.item_id, list(f.order)] for f in self.items]


def apportion(weights: dict[str, float], total: int, capacity: dict[str, int]) -> dict[str, int]:
    """Largest-remainder apportionment of ``total`` over the weights, capped at each capacity;
    what a full domain cannot take goes to the domain furthest below its quota."""
    if sum(capacity.values()) < total:
        raise CertlabError(
            f"the bank's items in the blueprint's domains ({sum(capacity.values())}) cannot fill {total}"
        )
    wsum = sum(weights.values())
    quota = {d: w / wsum * total for d, w in weights.items()}
    counts = {d: min(math.floor(q), capacity[d]) for d, q in quota.items()}
    rank = {d: i for i, d in enumerate(weights)}
    while sum(counts.values()) < total:
        open_ = [d for d in counts if counts[d] < capacity[d]]
        best = max(open_, key=lambda d: (quota[d] - counts[d], -rank[d]))
        counts[best] += 1
    return counts


def draw_form(bank: Bank, blueprint: dict, seed: int) -> Form:
    """Draw the form of one seed: the same bank and seed always give the same form.

    Parameters
    ----------
    bank : Bank
        A well-formed bank (see :func:`certlab.bank.usable`).
    blueprint : dict
        The exam's blueprint: ``format.questions`` and the domains' weights.
    seed : int
        The attempt's seed.

    Returns
    -------
    Form
        ``format.questions`` items apportioned over the domains by :func:`apportion`, whole case
        studies first where they fit, in shuffled order with each case study's items together, and
        every item's options shuffled.
    """
    total = int((blueprint.get("format") or {}).get("questions") or 0)
    domains = [str(d["id"]) for d in blueprint.get("domains") or []]
    if total <= 0 or not domains:
        raise CertlabError(f"blueprint {blueprint.get('id')}: no format.questions or no domains to draw a form from")
    rng = random.Random(f"{bank.exam}:{seed}")
    pools = {d: [it for it in bank.items if it.domain == d] for d in domains}
    weights = {str(d["id"]): float(d["weight"]) for d in blueprint["domains"]}
    remaining = apportion(weights, total, {d: len(p) for d, p in pools.items()})
    chosen: list[Item] = []
    cases = sorted(bank.case_studies)
    rng.shuffle(cases)
    for cid in cases:  # whole case studies first, where they fit the domain mix
        members = [it for it in bank.items if it.type == "case" and it.case == cid]
        need = Counter(it.domain for it in members)
        if members and all(need[d] <= remaining.get(d, 0) for d in need):
            chosen += members
            for d, n in need.items():
                remaining[d] -= n
    taken = {it.id for it in chosen}
    for d in domains:
        chosen += rng.sample([it for it in pools[d] if it.id not in taken], remaining[d])
    position = {it.id: i for i, it in enumerate(bank.items)}
    blocks: dict[str, list[Item]] = {}
    units: list[list[Item]] = []
    for it in chosen:
        if it.type == "case" and it.case:
            if it.case not in blocks:
                blocks[it.case] = []
                units.append(blocks[it.case])
            blocks[it.case].append(it)
        else:
            units.append([it])
    for block in blocks.values():
        block.sort(key=lambda it: position[it.id])
    rng.shuffle(units)
    items = []
    for it in (it for unit in units for it in unit):
        order = list(range(len(it.options)))
        rng.shuffle(order)
        while it.type == "ordering" and tuple(order) == it.answer:
            rng.shuffle(order)  # an ordering item is never shown already in order
        items.append(FormItem(f"q{len(items) + 1:02d}", it.id, tuple(order)))
    return Form(bank.exam, seed, items)


def key_letters(item: Item, order: tuple[int, ...]) -> str:
    """The key as the learner sees it: "B", "AD" (sorted) or the ordering "CADB"."""
    shown = {original: LETTERS[j] for j, original in enumerate(order)}
    letters = [shown[a] for a in item.answer]
    return "".join(letters if item.type == "ordering" else sorted(letters))


def how_to_answer(item: Item) -> tuple[str, str]:
    """(instruction under the question, comment in its answer cell)."""
    n, last = len(item.options), LETTERS[len(item.options) - 1]
    if item.type == "multiple":
        k = len(item.answer)
        note = "" if CHOOSE.search(item.stem) else f"*Choose {k}.*"
        return note, f'[]  # {k} letters from A-{last}, e.g. ["A", "C"]'
    if item.type == "ordering":
        return f"*Answer with all {n} letters, in the right order.*", f'""  # all {n} letters A-{last} in order'
    return "", f'""  # one letter, A-{last}'


def question_markdown(form_item: FormItem, item: Item) -> str:
    note, _ = how_to_answer(item)
    options = "\n".join(f"- **{LETTERS[j]}.** {item.options[o]}" for j, o in enumerate(form_item.order))
    parts = [f"### {form_item.qid}", item.stem, options]
    return "\n\n".join(parts + ([note] if note else []))


def form_notebook(
    form: Form,
    bank: Bank,
    blueprint: dict,
    *,
    start: dt.datetime,
    minutes: int,
    attempt: str,
    requested: str,
    filename: str,
) -> nbformat.NotebookNode:
    fmt = blueprint.get("format") or {}
    end = start + dt.timedelta(minutes=minutes)
    passing = fmt.get("passing")
    if passing is None:
        pass_line = "This exam has no published passing score: the result shows your score per domain."
    else:
        published = f" (published: {fmt['passing_published']})" if fmt.get("passing_published") else ""
        pass_line = f"Pass mark: {passing:.0%} of the questions{published}."
    intro = f"""# Mock exam: {blueprint.get("name", form.exam)} (`{form.exam}`)

**{len(form.items)} questions, {minutes} minutes.** Started {start:%Y-%m-%d %H:%M} UTC; hand in by
{end:%Y-%m-%d %H:%M} UTC. {pass_line}

A form drawn from the `{form.exam}` item bank (exam guide {bank.guide_version or "?"}) with the
domain mix of the exam's blueprint and the options shuffled: attempt `{attempt}`.

**How to answer.** Run the first code cell, then set each answer in the cell under its question:
one letter for a single answer (`"B"`), a list for several (`["A", "D"]`), all the letters in order
for an ordering question (`"CADB"`). A blank scores nothing and a wrong answer costs nothing, as in
the real exam.

**Rules.** No notes and no hints while the clock runs. When you are done, run
`certlab check {filename}`: it grades the form, marks a late hand-in, and then shows, for every
question you missed, why each option is right or wrong and the skill to revise. Your first check is
the hand-in that `certlab report --exam {form.exam}` counts."""
    nb = new_notebook(metadata={"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}})
    nb.cells.append(new_markdown_cell(intro))
    setup = new_code_cell("answer = {}  # run this cell first; your answers go in the cells below")
    setup.metadata["certlab"] = {"role": "form-setup"}
    nb.cells.append(setup)
    shown_case = None
    for f in form.items:
        item = bank.item(f.item_id)
        if item.type == "case" and item.case != shown_case:
            case = bank.case_studies[item.case]
            span = [g.qid for g in form.items if bank.item(g.item_id).case == item.case]
            refer = f"{span[0]}–{span[-1]}" if len(span) > 1 else span[0]
            nb.cells.append(
                new_markdown_cell(
                    f"## Case study: {case.title}\n\n{case.scenario}\n\n*Questions {refer} are about this case.*"
                )
            )
        shown_case = item.case if item.type == "case" else None
        nb.cells.append(new_markdown_cell(question_markdown(f, item)))
        cell = new_code_cell(f'answer["{f.qid}"] = {how_to_answer(item)[1]}')
        cell.metadata["certlab"] = {"form_answer": f.qid}
        nb.cells.append(cell)
    nb.cells.append(new_markdown_cell(f"## Hand in\n\nSave the notebook and run `certlab check {filename}`."))
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"form-{i:03d}"
    nb.metadata["certlab"] = {
        "form": {
            "exam": form.exam,
            "requested": requested,
            "attempt": attempt,
            "seed": form.seed,
            "bank": bank.fingerprint,
            "guide_version": bank.guide_version,
            "items": form.signature(),
        },
        "timed": {"exam": form.exam, "start": start.isoformat(), "minutes": minutes},
    }
    nbformat.validate(nb)
    return nb


def recorded_form(nb) -> Form | None:
    """The form a notebook records, or None for any other notebook."""
    meta = nb.metadata.get("certlab", {}).get("form")
    if not meta:
        return None
    try:
        items = [FormItem(str(q), str(i), tuple(int(x) for x in order)) for q, i, order in meta["items"]]
        return Form(str(meta["exam"]), int(meta["seed"]), items)
    except (KeyError, TypeError, ValueError):
        raise CertlabError("the form's metadata is damaged (certlab.form); start a new form") from None
