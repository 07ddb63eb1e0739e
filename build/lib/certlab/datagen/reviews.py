"""Short product reviews with a binary sentiment label, built from templates and word lists.

Used for text classification (``14_tf_nlp``, ``18_torch_sequences``). ``reviews.csv`` has two
columns: ``text`` (one to four sentences) and ``label`` (1 positive, 0 negative), about half of
each, every text unique so that a random split never puts the same review on both sides.

What makes it more than a keyword lookup:

- negation flips a word's usual meaning ("The kettle is not sturdy." is negative,
  "Not flimsy at all." is positive), so a bag of single words cannot be perfect;
- contrast: in "X but Y" the clause after "but" decides the label;
- neutral sentences ("I ordered the blue one.") appear in both classes and carry no signal.

The kind of each review is random: 60 % plain, 25 % negated, 15 % contrast.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FILES = ("reviews.csv",)
SEED = 20240214
N_REVIEWS = 2000

PRODUCTS = (
    "headset", "kettle", "blender", "backpack", "desk lamp", "keyboard", "phone case", "water bottle",
    "charger", "jacket", "toaster", "tent", "mouse", "speaker", "umbrella", "vacuum", "coffee grinder",
    "yoga mat", "monitor", "frying pan",
)  # fmt: skip
POSITIVE = (
    "great", "excellent", "sturdy", "reliable", "comfortable", "fantastic", "solid", "perfect", "lovely",
    "brilliant", "durable", "impressive", "wonderful", "superb", "good",
)  # fmt: skip
NEGATIVE = (
    "flimsy", "terrible", "awful", "cheap", "useless", "disappointing", "poor", "faulty", "noisy",
    "fragile", "bad", "horrible", "defective", "mediocre", "unreliable",
)  # fmt: skip
PEOPLE = ("wife", "husband", "son", "daughter", "mother", "father", "friend", "colleague", "flatmate")
COLOURS = ("black", "white", "blue", "red", "grey", "green", "silver")
ROOMS = ("kitchen", "office", "bedroom", "garage", "living room", "car")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

PLAIN = {
    1: (
        "The {p} is {a}.",
        "Really {a} {p}, I use it every day.",
        "I love this {p}.",
        "{A} quality for the price.",
        "Works exactly as described.",
        "Would definitely buy again.",
        "Five stars, the {p} is {a} and {a2}.",
        "My {who} loves it.",
        "Highly recommend this {p}.",
        "Setup took two minutes and it works perfectly.",
        "Much better than my old {p}.",
        "Fast delivery and a {a} product.",
        "So happy with this {p}.",
        "{A} and {a2}, exactly what I wanted.",
    ),
    0: (
        "The {p} is {a}.",
        "Really {a} {p}, it stopped working after {n} days.",
        "I regret buying this {p}.",
        "{A} quality, even for the price.",
        "Does not work as described.",
        "Would never buy it again.",
        "One star, the {p} is {a} and {a2}.",
        "I returned it the next day.",
        "Avoid this {p}.",
        "It broke after {n} weeks.",
        "Much worse than my old {p}.",
        "Waste of money.",
        "So annoyed with this {p}.",
        "{A} and {a2}, nothing like the photos.",
    ),
}
# A negated sentence takes an adjective of the *opposite* polarity: "not sturdy" is negative.
NEGATED = {
    1: (
        "The {p} is not {b}.",
        "Not {b} at all.",
        "I would not call it {b}.",
        "Nothing {b} about this {p}.",
        "I can't complain.",
        "Never had a problem with it.",
        "Nothing to complain about.",
        "I was not disappointed.",
        "It has never let me down.",
    ),
    0: (
        "The {p} is not {b}.",
        "Not {b} at all.",
        "I would not call it {b}.",
        "Nothing {b} about this {p}.",
        "I can't recommend it.",
        "It never works properly.",
        "Not worth the money.",
        "I was not impressed.",
        "It has never worked well.",
    ),
}
# "X but Y": the second clause sets the label, the first has the opposite polarity.
CONTRAST = {
    1: (
        "The packaging was {b} but the {p} itself is {a}.",
        "The first one was {b} but the replacement is {a}.",
        "It looks {b} but it is {a} in daily use.",
    ),
    0: (
        "The packaging was {b} but the {p} itself is {a}.",
        "The first one was {b} but the replacement is {a}.",
        "It looks {b} but it is {a} in daily use.",
    ),
}
NEUTRAL = (
    "I bought it for my {who}.",
    "It arrived on {day}.",
    "I have had it for {n} weeks.",
    "The box was {colour}.",
    "I ordered the {colour} one.",
    "This is my second {p}.",
    "I use it in the {room}.",
    "Delivered in {n} days.",
    "Bought it on sale.",
    "It came with a manual.",
)


def _review(rng: np.random.Generator, label: int) -> str:
    own, other = (POSITIVE, NEGATIVE) if label == 1 else (NEGATIVE, POSITIVE)
    a, a2 = rng.choice(own, size=2, replace=False)
    words = {
        "p": str(rng.choice(PRODUCTS)),
        "a": str(a),
        "A": str(a).capitalize(),
        "a2": str(a2),
        "b": str(rng.choice(other)),
        "who": str(rng.choice(PEOPLE)),
        "colour": str(rng.choice(COLOURS)),
        "room": str(rng.choice(ROOMS)),
        "day": str(rng.choice(DAYS)),
        "n": int(rng.integers(2, 10)),
    }
    kind = rng.choice(["plain", "negated", "contrast"], p=[0.60, 0.25, 0.15])
    templates = {"plain": PLAIN, "negated": NEGATED, "contrast": CONTRAST}[kind][label]
    if kind == "plain" and rng.random() < 0.3:  # a second opinion of the same polarity
        sentences = [str(t).format(**words) for t in rng.choice(templates, size=2, replace=False)]
    else:
        sentences = [str(rng.choice(templates)).format(**words)]
    n_neutral = int(rng.choice([0, 1, 2], p=[0.4, 0.4, 0.2]))
    for filler in rng.choice(NEUTRAL, size=n_neutral, replace=False):
        sentences.insert(int(rng.integers(0, len(sentences) + 1)), str(filler).format(**words))
    return " ".join(sentences)


def generate(folder: Path) -> None:
    rng = np.random.default_rng(SEED)
    seen: set[str] = set()
    rows = []
    while len(rows) < N_REVIEWS:
        label = int(rng.integers(0, 2))
        text = _review(rng, label)
        if text not in seen:  # unique texts: no review can sit in both train and test
            seen.add(text)
            rows.append((text, label))
    pd.DataFrame(rows, columns=["text", "label"]).to_csv(folder / "reviews.csv", index=False, lineterminator="\n")
