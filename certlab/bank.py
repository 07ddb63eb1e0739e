"""Item banks: the multiple-choice part of each mock exam, as data (``certlab/exams/<exam>.yml``).

A bank is the single source of truth for an exam's items; ``certlab exam start`` draws timed forms
from it and ``certlab check`` grades them against it. The file format::

    exam: gcp-pmle
    guide_version: "2026-06"
    case_studies:                       # optional: scenarios shared by several `case` items
      - {id: pmle-case-1, title: ..., scenario: "..."}
    items:
      - id: pmle-001
        domain: "1"                     # a domain id of the exam's blueprint
        type: single                    # single | multiple | ordering | case
        case: pmle-case-1               # only for type case
        stem: "..."                     # multiple: says how many to choose ("Choose two.")
        options: [..., ..., ..., ...]
        answer: [2]                     # 0-based; multiple: every key; ordering: the right order
        rationale: [..., ..., ..., ...] # one per option: why right, or why wrong here
        skills: [mlops.serving]
        difficulty: 2                   # 1 recall, 2 apply, 3 analyse
        source: "Vendor page title, https://..."

This module reads and validates banks and plays the guessing strategies the lint rules
(:mod:`certlab.bank_rules`) hold every bank against.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from certlab.course import PACKAGE_DIR
from certlab.errors import CertlabError

BANK_DIR = PACKAGE_DIR / "exams"
TYPES = ("single", "multiple", "ordering", "case")
REQUIRED = ("id", "domain", "type", "stem", "options", "answer", "rationale", "skills", "difficulty", "source")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class CaseStudy:
    id: str
    title: str
    scenario: str


@dataclass(frozen=True)
class Item:
    """One bank item, its fields coerced to plain types; ``problems`` lists what is malformed."""

    id: str
    domain: str
    type: str
    stem: str
    options: tuple[str, ...]
    answer: tuple[int, ...]
    rationale: tuple[str, ...]
    skills: tuple[str, ...]
    difficulty: int | None
    source: str
    case: str | None = None
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def single(self) -> bool:
        """One key among the options (``single`` and ``case`` items)."""
        return self.type in ("single", "case")

    def chance(self) -> float:
        """The probability that a uniformly random response is right."""
        n, k = len(self.options), len(self.answer)
        return 1 / math.factorial(n) if self.type == "ordering" else 1 / math.comb(n, k)

    def is_correct(self, response: tuple[int, ...] | list[int]) -> bool:
        """All or nothing: the exact order for ``ordering``, the exact set of keys otherwise."""
        response = tuple(response)
        if self.type == "ordering":
            return response == self.answer
        return len(set(response)) == len(response) and sorted(response) == sorted(self.answer)


@dataclass
class Bank:
    exam: str
    guide_version: str | None
    items: list[Item]
    case_studies: dict[str, CaseStudy]
    path: Path
    problems: list[str] = field(default_factory=list)  # bank-level structure problems

    @property
    def fingerprint(self) -> str:
        """A short hash of the file, recorded with each form so a regrade can tell the bank changed."""
        return hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]

    def item(self, item_id: str) -> Item:
        for it in self.items:
            if it.id == item_id:
                return it
        raise CertlabError(f"{self.path.name}: no item {item_id!r} (was it renamed or removed?)")


def _text(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_item(raw, index: int) -> Item:
    """An :class:`Item` from its YAML mapping; every structural fault goes into ``problems``."""
    if not isinstance(raw, dict):
        return Item(f"#{index + 1}", "", "", "", (), (), (), (), None, "", problems=("not a mapping",))
    problems = [f"missing {key}" for key in REQUIRED if key not in raw]
    options, answer, rationale = raw.get("options"), raw.get("answer"), raw.get("rationale")
    kind = raw.get("type")
    if not isinstance(options, list) or not all(isinstance(o, (str, int, float)) for o in options):
        problems.append("options must be a list of strings")
        options = []
    if not isinstance(answer, list) or not all(_int(a) is not None and 0 <= a < len(options) for a in answer):
        problems.append(f"answer must list option indices 0..{max(len(options) - 1, 0)}")
        answer = []
    if not isinstance(rationale, list):
        rationale = []
    skills = raw.get("skills") if isinstance(raw.get("skills"), list) else []
    if kind not in TYPES:
        problems.append(f"type {kind!r} is not one of {', '.join(TYPES)}")
    n = len(options)
    if n < 3:
        problems.append(f"{n} options; an item needs at least 3")
    if kind in ("single", "case") and len(answer) != 1:
        problems.append(f"a {kind} item has exactly one key, not {len(answer)}")
    if kind == "multiple" and not 2 <= len(answer) < n:
        problems.append(f"a multiple item has 2..{n - 1} keys, not {len(answer)}")
    if kind == "ordering" and sorted(answer) != list(range(n)):
        problems.append("an ordering item's answer is the order of all option indices (a permutation)")
    if len(rationale) != n:
        problems.append(f"{len(rationale)} rationales for {n} options (one per option)")
    elif any(len(_text(r).split()) < 3 for r in rationale):
        problems.append("every option needs a rationale of a few words: why it is right or wrong here")
    for key in ("id", "stem", "source"):
        if key in raw and not _text(raw[key]):
            problems.append(f"empty {key}")
    if "difficulty" in raw and raw["difficulty"] not in (1, 2, 3):
        problems.append(f"difficulty {raw['difficulty']!r} must be 1, 2 or 3")
    if "skills" in raw and not skills:
        problems.append("skills must be a non-empty list of skill ids")
    return Item(
        id=_text(raw.get("id")) or f"#{index + 1}",
        domain=_text(raw.get("domain")),
        type=str(kind),
        stem=str(raw.get("stem") or "").strip(),
        options=tuple(_text(o) for o in options),
        answer=tuple(answer),
        rationale=tuple(_text(r) for r in rationale),
        skills=tuple(_text(s) for s in skills),
        difficulty=_int(raw.get("difficulty")),
        source=_text(raw.get("source")),
        case=_text(raw.get("case")) or None,
        problems=tuple(problems),
    )


def read_bank(path: Path) -> Bank:
    """Parse a bank file. Unreadable YAML or a file that is not a bank raises :class:`CertlabError`;
    faults inside items are kept for the lint rules to report."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CertlabError(f"{path}: missing.") from None
    except yaml.YAMLError as exc:
        raise CertlabError(f"{path}: invalid YAML ({exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise CertlabError(f"{path}: not an item bank (expected a mapping with a list under `items:`).")
    problems = []
    exam = _text(data.get("exam"))
    if exam != path.stem:
        problems.append(f"exam {exam!r} does not match the file name ({path.stem}.yml)")
    cases = {}
    for i, raw in enumerate(data.get("case_studies") or []):
        cid = _text(raw.get("id")) if isinstance(raw, dict) else ""
        if not cid or not _text(raw.get("scenario")):
            problems.append(f"case study #{i + 1} needs an id and a scenario")
            continue
        if cid in cases:
            problems.append(f"case study {cid} is defined twice")
        cases[cid] = CaseStudy(cid, _text(raw.get("title")) or cid, str(raw["scenario"]).strip())
    items = [parse_item(raw, i) for i, raw in enumerate(data["items"])]
    guide = data.get("guide_version")
    return Bank(exam or path.stem, None if guide is None else str(guide), items, cases, path, problems)


def bank_paths(folder: Path | None = None) -> dict[str, Path]:
    """Exam id -> bank file, for every bank in the folder (default: the package's ``exams/``)."""
    folder = BANK_DIR if folder is None else folder
    return {p.stem: p for p in sorted(folder.glob("*.yml"))}


def load_bank(exam: str, folder: Path | None = None) -> Bank:
    """Read the bank of one exam.

    Parameters
    ----------
    exam : str
        Exam id, the bank's file name without ``.yml``.
    folder : Path, optional
        Where the banks are (default: the package's ``exams/``).

    Returns
    -------
    Bank
        The parsed bank; malformed items carry their ``problems`` (see :func:`usable`).

    Raises
    ------
    CertlabError
        No bank for the exam, or a file that is not valid YAML or not a bank.
    """
    paths = bank_paths(folder)
    if exam not in paths:
        have = ", ".join(paths) or "none yet"
        raise CertlabError(f"no item bank for {exam} (banks: {have})")
    return read_bank(paths[exam])


def usable(bank: Bank, context: str = "") -> Bank:
    """The bank, if a form can be drawn from it; else one clear error naming what is wrong and where."""
    faults = [f"{bank.path.name}: {p}" for p in bank.problems]
    faults += [f"{bank.path.name} item {it.id}: {p}" for it in bank.items for p in it.problems]
    if faults:
        more = f" (and {len(faults) - 3} more; `certlab lint` lists them)" if len(faults) > 3 else ""
        raise CertlabError(f"malformed item bank{context}: " + "; ".join(faults[:3]) + more)
    return bank


# --- guessing strategies: what a test-wise candidate scores without knowing anything


def strategy_first(item: Item, rng: random.Random) -> tuple[int, ...]:
    """Always the first option(s); the options in the order shown for an ordering item."""
    n = len(item.options)
    return tuple(range(n)) if item.type == "ordering" else tuple(range(len(item.answer)))


def strategy_longest(item: Item, rng: random.Random) -> tuple[int, ...]:
    """The longest option(s); longest first for an ordering item."""
    by_len = sorted(range(len(item.options)), key=lambda i: -len(item.options[i]))
    return tuple(by_len) if item.type == "ordering" else tuple(sorted(by_len[: len(item.answer)]))


def strategy_random(item: Item, rng: random.Random) -> tuple[int, ...]:
    """A uniformly random response of the right shape."""
    n = len(item.options)
    if item.type == "ordering":
        return tuple(rng.sample(range(n), n))
    return tuple(sorted(rng.sample(range(n), len(item.answer))))


STRATEGIES: dict[str, Callable[[Item, random.Random], tuple[int, ...]]] = {
    "first": strategy_first,
    "longest": strategy_longest,
    "random": strategy_random,
}


def play(items: list[Item], strategy: str, seed: int = 0) -> tuple[float, float]:
    """Play a guessing strategy against a list of items.

    Parameters
    ----------
    items : list of Item
        Well-formed items.
    strategy : str
        A key of :data:`STRATEGIES`: ``first``, ``longest`` or ``random``.
    seed : int
        Seed of the random strategy.

    Returns
    -------
    (float, float)
        The strategy's score and the score expected by chance, both in percent; chance per item is
        1/C(n, k) for k keys among n options, 1/n! for an ordering of n steps.
    """
    if not items:
        return 0.0, 0.0
    rng = random.Random(seed)
    choose = STRATEGIES[strategy]
    got = sum(it.is_correct(choose(it, rng)) for it in items)
    chance = sum(it.chance() for it in items)
    return 100 * got / len(items), 100 * chance / len(items)
