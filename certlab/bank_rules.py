"""Lint rules for item banks: structure, blueprint balance, and no test-wise shortcuts.

Each rule is one small function in :data:`RULES`, registered with the fix it asks for; `certlab
lint` runs them all on every bank. The thresholds:

- the bank holds at least ``format.bank_min`` items (and a full form), and every domain at least
  max(8, ceil(weight × form length) + 1);
- among single-answer items the key is strictly the longest option in at most 30 %, lies within
  the range of the distractors' lengths in at least 60 %, and is never more than 1.5 × the mean
  distractor length; each key position holds 1/k ± 10 points of them (k options);
- always-first, always-longest and uniformly random guessing each score within 10 points of chance;
- no "all/none of the above", no duplicate options or stems, no distractor naming another
  vendor's product unless the scenario is about that vendor, and no option naming a product the
  blueprint lists under ``retired_products`` unless the scenario is about it (a migration).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from certlab.bank import STRATEGIES, Bank, Item, play

MAX_LONGEST_SHARE = 0.30
MIN_IN_RANGE_SHARE = 0.60
MAX_KEY_TO_MEAN = 1.5
POSITION_TOLERANCE = 0.10
GUESS_TOLERANCE = 10.0  # points of percentage
MIN_DOMAIN_ITEMS = 8
BANNED = re.compile(r"\b(all|none|both|neither) of the (above|below|options|answers)\b", re.I)
CHOOSE = re.compile(r"\bchoose (two|three|four|\d)\b", re.I)
NUMBER_WORDS = {"two": 2, "three": 3, "four": 4}
# Product names that give a vendor away; a distractor of one vendor's bank naming another's is not
# a real option of that exam (unless the scenario itself is about the other vendor).
VENDOR_PRODUCTS = {
    "AWS": re.compile(
        r"\b(AWS|Amazon [A-Z][A-Za-z]+|SageMaker|Bedrock|Athena|Kinesis|Redshift|CloudWatch|CloudTrail|EventBridge)\b"
    ),
    "Google Cloud": re.compile(
        r"\b(Google Cloud|Vertex AI|BigQuery|Dataflow|Dataproc|Pub/Sub|Cloud Storage|Cloud Run|Bigtable|Gemini)\b"
    ),
    "Azure": re.compile(r"\b(Azure|Microsoft Fabric|Cognitive Services|Power BI)\b"),
    "Databricks": re.compile(r"\b(Databricks|Unity Catalog|Delta Live Tables|Mosaic AI|Lakeflow)\b"),
}
BLUEPRINT_VENDOR = {"Amazon": "AWS", "Google Cloud": "Google Cloud", "Microsoft": "Azure", "Databricks": "Databricks"}


@dataclass(frozen=True)
class Problem:
    rule: str
    where: str  # "item pmle-001", or "" for the whole bank
    message: str
    fix: str


@dataclass
class Context:
    bank: Bank
    blueprint: dict | None
    skills: dict

    @property
    def items(self) -> list[Item]:
        """The well-formed items (malformed ones are reported by the structure rule only)."""
        return [it for it in self.bank.items if it.ok]

    @property
    def singles(self) -> list[Item]:
        return [it for it in self.items if it.single]

    @property
    def format(self) -> dict:
        return (self.blueprint or {}).get("format") or {}


Rule = Callable[[Context], Iterator[tuple[str, str]]]
RULES: dict[str, tuple[Rule, str]] = {}


def rule(name: str, fix: str):
    """Register a rule: a generator of (where, message) pairs."""

    def register(fn: Rule) -> Rule:
        RULES[name] = (fn, fix)
        return fn

    return register


def lint_bank(bank: Bank, blueprint: dict | None, skills: dict) -> list[Problem]:
    """Run every rule of :data:`RULES` on a bank.

    Parameters
    ----------
    bank : Bank
        The bank (see :func:`certlab.bank.read_bank`).
    blueprint : dict or None
        The exam's blueprint, with its ``format`` block and domains.
    skills : dict
        The skill taxonomy (``certlab/skills.yml``).

    Returns
    -------
    list of Problem
        Every problem found, in rule order; empty when the bank is clean.
    """
    ctx = Context(bank, blueprint, skills)
    return [Problem(name, where, message, fix) for name, (fn, fix) in RULES.items() for where, message in fn(ctx)]


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


@rule("structure", "give every item the fields of the bank format (certlab/bank.py) with valid values")
def structure(ctx):
    for p in ctx.bank.problems:
        yield "", p
    for it in ctx.bank.items:
        for p in it.problems:
            yield f"item {it.id}", p


@rule("ids", "give every item its own id")
def unique_ids(ctx):
    for iid, n in Counter(it.id for it in ctx.bank.items).items():
        if n > 1:
            yield f"item {iid}", f"id used by {n} items"


@rule("blueprint", "give the exam a blueprint with a format block: questions, minutes, passing (or null), bank_min")
def blueprint_format(ctx):
    if ctx.blueprint is None:
        yield "", f"no blueprint certlab/blueprints/{ctx.bank.exam}.yml for this bank"
        return
    fmt = ctx.format
    for key in ("questions", "minutes"):
        if not (isinstance(fmt.get(key), int) and fmt[key] > 0):
            yield "", f"blueprint format.{key} is {fmt.get(key)!r}, not a positive number"
    passing = fmt.get("passing")
    if passing is not None and not (isinstance(passing, (int, float)) and 0 < passing < 1):
        yield "", f"blueprint format.passing is {passing!r}: a ratio in (0, 1), or null when none is published"
    if not ctx.blueprint.get("domains"):
        yield "", "the blueprint has no domains to balance the bank against"


@rule("domain", "use a domain id of the exam's blueprint")
def known_domains(ctx):
    ids = {str(d.get("id")) for d in (ctx.blueprint or {}).get("domains") or []}
    for it in ctx.items:
        if ids and it.domain not in ids:
            yield f"item {it.id}", f"domain {it.domain!r} is not in the blueprint ({', '.join(sorted(ids))})"


@rule("skills", "use skill ids from certlab/skills.yml (or add the skill there)")
def known_skills(ctx):
    for it in ctx.items:
        for s in it.skills:
            if s not in ctx.skills:
                yield f"item {it.id}", f"unknown skill {s!r}"


@rule("case", "give a case item `case: <id of a case_studies entry>`, and a case study at least one item")
def case_links(ctx):
    used = set()
    for it in ctx.items:
        if it.type == "case":
            used.add(it.case)
            if it.case not in ctx.bank.case_studies:
                yield f"item {it.id}", f"case {it.case!r} is not among the bank's case_studies"
    for cid in sorted(set(ctx.bank.case_studies) - used):
        yield "", f"case study {cid} has no items"


@rule("choose-count", "say in the stem how many options to choose, matching the number of keys")
def choose_count(ctx):
    for it in ctx.items:
        m = CHOOSE.search(it.stem)
        if it.type == "multiple" and m:
            n = NUMBER_WORDS.get(m.group(1).lower()) or int(m.group(1))
            if n != len(it.answer):
                yield f"item {it.id}", f"the stem says {m.group(0)!r} but the item has {len(it.answer)} keys"


@rule("all-of-the-above", "replace the option with a real, specific alternative")
def no_all_of_the_above(ctx):
    for it in ctx.items:
        for i, o in enumerate(it.options):
            if BANNED.search(o):
                yield f"item {it.id}", f"option {i} is {o!r}"


@rule("duplicate-options", "make every option of an item different")
def duplicate_options(ctx):
    for it in ctx.items:
        if len({_norm(o) for o in it.options}) != len(it.options):
            yield f"item {it.id}", "two options read the same"


@rule("duplicate-stem", "write a new scenario or remove the repeat")
def duplicate_stems(ctx):
    first: dict[str, str] = {}
    for it in ctx.items:
        key = _norm(it.stem)
        if key in first:
            yield f"item {it.id}", f"same stem as item {first[key]}"
        else:
            first[key] = it.id


@rule("bank-size", "add items until the bank is larger than a form (forms should differ between attempts)")
def bank_size(ctx):
    need = max(int(ctx.format.get("bank_min") or 0), int(ctx.format.get("questions") or 0))
    if len(ctx.bank.items) < need:
        yield "", f"{len(ctx.bank.items)} items; the bank needs at least {need}"


@rule("domain-balance", "add items to the domain: at least max(8, ceil(weight x form length) + 1)")
def domain_balance(ctx):
    questions = int(ctx.format.get("questions") or 0)
    count = Counter(it.domain for it in ctx.items)
    for d in (ctx.blueprint or {}).get("domains") or []:
        need = max(MIN_DOMAIN_ITEMS, math.ceil(float(d["weight"]) * questions) + 1)
        if count[str(d["id"])] < need:
            yield "", f"domain {d['id']} ({d.get('name', '')}): {count[str(d['id'])]} items, needs at least {need}"


def _lengths(it: Item) -> tuple[int, list[int]]:
    k = it.answer[0]
    return len(it.options[k]), [len(o) for i, o in enumerate(it.options) if i != k]


@rule("key-longest", "shorten keys or lengthen distractors: the longest option must not give the key away")
def key_longest(ctx):
    singles = ctx.singles
    longest = [it.id for it in singles if _lengths(it)[0] > max(_lengths(it)[1])]
    if singles and len(longest) / len(singles) > MAX_LONGEST_SHARE:
        share = len(longest) / len(singles)
        yield "", f"the key is strictly the longest option in {share:.0%} of single-answer items (at most 30%)"


@rule("key-in-range", "keep the key's length between the shortest and the longest distractor's")
def key_in_range(ctx):
    singles = ctx.singles
    inside = sum(min(d) <= k <= max(d) for k, d in map(_lengths, singles))
    if singles and inside / len(singles) < MIN_IN_RANGE_SHARE:
        yield "", f"the key's length is within the distractors' range in only {inside / len(singles):.0%} (needs 60%)"


@rule("key-length", "shorten the key or make the distractors as specific as the key")
def key_length(ctx):
    for it in ctx.singles:
        k, d = _lengths(it)
        mean = sum(d) / len(d)
        if k > MAX_KEY_TO_MEAN * mean:
            yield f"item {it.id}", f"the key is {k / mean:.1f}x the mean distractor length (at most 1.5x)"


@rule("key-position", "move keys so that each position holds about 1/k of the single-answer items")
def key_position(ctx):
    singles = ctx.singles
    if not singles:
        return
    k = Counter(len(it.options) for it in singles).most_common(1)[0][0]
    pos = Counter(it.answer[0] for it in singles)
    for p in range(k):
        share = pos[p] / len(singles)
        if abs(share - 1 / k) > POSITION_TOLERANCE:
            yield "", f"the key is at position {p} in {share:.0%} of single-answer items (aim {1 / k:.0%} +-10)"


@rule("guessing", "break the pattern the strategy exploits (key position, key length)")
def guessing(ctx):
    for name in STRATEGIES:
        score, chance = play(ctx.items, name)
        if abs(score - chance) > GUESS_TOLERANCE:
            yield "", f"always-{name} guessing scores {score:.1f}%, chance is {chance:.1f}% (at most 10 points apart)"


@rule("distractor-vendor", "use a real option of the exam's own vendor or field as the distractor")
def distractor_vendor(ctx):
    vendor = next((v for k, v in BLUEPRINT_VENDOR.items() if k in str((ctx.blueprint or {}).get("vendor", ""))), None)
    if vendor is None:
        return
    for it in ctx.items:
        case = ctx.bank.case_studies.get(it.case or "")
        context = " ".join([it.stem, case.scenario if case else "", *(it.options[a] for a in it.answer)])
        for i, option in enumerate(it.options):
            if i in it.answer:
                continue
            for other, pattern in VENDOR_PRODUCTS.items():
                m = pattern.search(option)
                if other != vendor and m and not pattern.search(context):
                    yield f"item {it.id}", f"option {i} names {m.group(0)} ({other}) in a {vendor} exam"


@rule("retired-product", "replace the option with the current product, or make the scenario a migration from it")
def retired_products(ctx):
    for entry in (ctx.blueprint or {}).get("retired_products") or []:
        try:
            pattern = re.compile(str(entry["pattern"]), re.I)
        except (KeyError, TypeError, re.error) as exc:
            yield "", f"blueprint retired_products entry {entry!r} needs a valid `pattern` ({exc})"
            continue
        for it in ctx.items:
            if pattern.search(it.stem):
                continue
            for i, option in enumerate(it.options):
                if pattern.search(option):
                    yield (
                        f"item {it.id}",
                        f"option {i} offers {entry.get('what', entry['pattern'])}, ended {entry.get('ended', '?')}",
                    )
