"""The help desk of Velora, a made-up e-bike maker: a knowledge base, bot utterances and feedback.

Used by 24_ai_services as offline stand-ins for what the cloud AI services work on:

- ``kb_docs.jsonl``: 24 short knowledge-base articles (``id``, ``title``, ``text``), written by
  hand, for a search index and grounded answers;
- ``intents.csv``: utterances a customer might type to the help-desk bot, labelled with one of
  nine intents (``text``, ``intent``), generated from hand-written templates and fillers;
- ``feedback.csv``: short customer feedback labelled ``positive``, ``negative`` or ``neutral``
  (``text``, ``sentiment``), generated from hand-written phrases, negations included.
"""

from __future__ import annotations

import json
from itertools import product
from pathlib import Path

import numpy as np
import pandas as pd

FILES = ("kb_docs.jsonl", "intents.csv", "feedback.csv")
SEED = 20240704

KB = [
    (
        "Returns and refunds",
        "You can return a bike or an accessory within 30 days of delivery. Items must be unused and in "
        "their original packaging. Start a return from your account page or ask the help desk for a return "
        "label. Refunds are paid to the original payment method within 5 to 7 business days after the "
        "return arrives at our warehouse.",
    ),
    (
        "Warranty coverage",
        "Every Velora frame has a 5-year warranty against manufacturing defects. The motor and the battery "
        "are covered for 2 years or 500 charge cycles, whichever comes first. Wear parts such as tyres, "
        "brake pads and chains are not covered. To make a warranty claim you need the frame number and the "
        "proof of purchase.",
    ),
    (
        "Battery care and storage",
        "Store the battery at 40 to 60 percent charge in a dry place between 10 and 20 degrees Celsius. "
        "Never charge the battery below 0 degrees Celsius. Before winter storage, charge it to about half "
        "and top it up every two months. Remove the battery from the bike when you clean it.",
    ),
    (
        "Battery range",
        "The PowerPack 500 battery gives a range of 40 to 100 km and the PowerPack 625 a range of 50 to 120 "
        "km. Range depends on the assist level, the rider's weight, cold weather, hills and tyre pressure. "
        "Riding in eco mode gives the longest range.",
    ),
    (
        "Shipping and delivery",
        "Orders within Germany arrive in 3 to 5 business days, and orders to other EU countries in 5 to 8 "
        "business days. Bikes are shipped 95 percent assembled: you only fit the handlebar and the pedals. "
        "Express delivery in 2 business days costs 29 euros.",
    ),
    (
        "Tracking your order",
        "When your order leaves our warehouse you receive an email with a tracking link. Order numbers look "
        "like VB-123456. You can also see the status of every order on your account page: processing, "
        "shipped or delivered.",
    ),
    (
        "Store opening hours",
        "Our stores in Berlin, Munich and Hamburg are open Monday to Friday from 10:00 to 19:00 and on "
        "Saturday from 10:00 to 16:00. Stores are closed on Sundays and public holidays. The help desk "
        "answers chats and calls on weekdays from 8:00 to 20:00.",
    ),
    (
        "Booking a repair or service",
        "Book a repair or a service appointment online or in any store. A standard service costs 79 euros "
        "and takes 48 hours. We check the brakes, gears, tyres, lights and the motor software, and we send "
        "you a quote before any extra work.",
    ),
    (
        "Service intervals",
        "Bring a new bike for its first inspection after 300 km or 3 months, whichever comes first. The "
        "first inspection is free. After that, we recommend a service once a year or every 2,000 km.",
    ),
    (
        "Payment methods",
        "We accept credit and debit cards, PayPal and bank transfer. Orders paid by bank transfer ship once "
        "the payment arrives, usually within 2 business days. Gift cards can be used online and in stores.",
    ),
    (
        "Financing",
        "For orders above 1,000 euros you can pay in 12 monthly instalments at 0 percent interest. Financing "
        "needs a short credit check and a bank account in the EU. You can repay the rest early at any time "
        "without a fee.",
    ),
    (
        "Cancelling an order",
        "You can cancel an order free of charge until it has been shipped. Once the order is shipped, "
        "cancellation is no longer possible, so please start a return after delivery instead.",
    ),
    (
        "Choosing a frame size",
        "Frame size depends on your height. Size S fits riders from 155 to 170 cm, size M from 170 to 182 "
        "cm and size L from 182 to 195 cm. Between two sizes, a test ride helps you decide.",
    ),
    (
        "Test rides",
        "Test rides are free in every store. Book a 30-minute slot online and bring an ID card or a "
        "passport. Helmets are available to borrow.",
    ),
    (
        "Tyre pressure",
        "For city riding keep the tyres between 2.5 and 4 bar; the exact range is printed on the side of "
        "the tyre. Check the pressure once a month. Low pressure shortens the battery range and raises the "
        "risk of a puncture.",
    ),
    (
        "Brakes and brake pads",
        "Velora bikes use hydraulic disc brakes. Replace the brake pads when they are thinner than 1.5 mm "
        "or when you hear grinding. The brake fluid should be bled once a year during the annual service.",
    ),
    (
        "Display error codes",
        "Error E01 means the motor speed sensor lost its signal: check the magnet on the rear wheel. Error "
        "E02 means the battery is not communicating: remove the battery and insert it again. Error E03 means "
        "the motor is overheating: stop and let it cool for 15 minutes. If an error stays, book a repair.",
    ),
    (
        "Theft insurance",
        "We work with two insurance partners that cover theft and accidental damage. Register your frame "
        "number with the insurer within 14 days of delivery. Always lock the frame to a fixed object.",
    ),
    (
        "Finding your frame number",
        "The frame number is engraved under the bottom bracket, where the pedal cranks meet the frame. It is "
        "also printed on your invoice. You need it for warranty claims, insurance and police reports.",
    ),
    (
        "Lost battery key",
        "If you lose the key of the battery lock, order a replacement with the key number printed on the "
        "spare key card. A replacement key costs 25 euros and arrives within a week.",
    ),
    (
        "Software updates",
        "The display and motor software are updated during every service. Updates improve the assist "
        "feel and the accuracy of the range estimate. You cannot update the software yourself.",
    ),
    (
        "Trade-in programme",
        "Trade in your old bike, of any brand, when you buy a new Velora. We value it in store and give you "
        "a credit of up to 800 euros towards the new bike.",
    ),
    (
        "Bike subscription",
        "With the Velora subscription you ride a bike for 49 euros a month, service and theft insurance "
        "included. The minimum term is 6 months, and you can cancel with one month's notice after that.",
    ),
    (
        "Privacy and your data",
        "We store customer data on servers in the EU and never sell it. You can ask for a copy of your data "
        "or for its deletion with the privacy form on our website. We answer every request within 30 days.",
    ),
]

INTENT_TEMPLATES = {
    "check_order_status": [
        "where is my order {order}",
        "has my order {order} shipped yet",
        "what is the status of order {order}",
        "can you track my parcel",
        "my bike still hasn't arrived",
        "when will my order arrive",
        "is {order} on its way",
        "I ordered a bike last week, where is it",
        "tracking number for {order} please",
        "order {order} status",
        "any news about my delivery",
        "the delivery is late, what happened",
    ],
    "return_item": [
        "I want to return my {item}",
        "how do I send back the {item}",
        "can I get a refund for the {item}",
        "return order {order}",
        "the {item} doesn't fit, I want to return it",
        "I need a return label",
        "I'd like my money back for the {item}",
        "start a return for {order}",
        "how long do I have to return the {item}",
        "I changed my mind about the {item}",
        "send the {item} back please",
        "refund for order {order}",
    ],
    "opening_hours": [
        "when is the {city} store open",
        "what are your opening hours",
        "are you open on {day}",
        "what time do you close today",
        "is the {city} shop open on {day}",
        "opening times {city}",
        "until when can I come by on {day}",
        "are stores open on sundays",
        "when does the {city} store open",
        "what time does the store open on {day}",
        "hours of the {city} shop",
        "can I visit the store on {day}",
    ],
    "book_repair": [
        "I need to book a service for my bike",
        "can I get an appointment for a repair",
        "my {part} needs fixing",
        "book a repair in {city}",
        "the {part} is broken, can you fix it",
        "I'd like a service appointment on {day}",
        "schedule a maintenance for my e-bike",
        "my bike makes a noise, can I bring it in",
        "repair appointment please",
        "the {part} squeaks, book me in",
        "I want my annual service",
        "can someone look at my {part}",
    ],
    "warranty_claim": [
        "is my {part} covered by the warranty",
        "I want to make a warranty claim",
        "the {part} failed after a year",
        "warranty for the {part}",
        "my frame cracked, is that under guarantee",
        "how long is the warranty",
        "the {part} stopped working, it's still under warranty",
        "does the warranty cover the {part}",
        "I have a defect on my new bike",
        "claim warranty for order {order}",
        "manufacturing defect on the {part}",
        "what does the guarantee include",
    ],
    "payment_options": [
        "can I pay with paypal",
        "do you accept credit cards",
        "can I pay in instalments",
        "is financing available",
        "which payment methods do you take",
        "can I pay by bank transfer",
        "do you offer 0 percent financing",
        "can I use a gift card online",
        "pay monthly for a bike",
        "is there a payment plan",
        "can I pay with my debit card",
        "how does financing work",
    ],
    "talk_to_human": [
        "I want to talk to a person",
        "let me speak to an agent",
        "can I talk to a human please",
        "connect me with customer service",
        "this bot is useless, get me a human",
        "I need a real person",
        "call me back please",
        "agent please",
        "is there someone I can speak to",
        "transfer me to support",
        "I'd rather talk to someone",
        "human agent",
    ],
    "greeting": [
        "hi",
        "hello",
        "hey there",
        "good morning",
        "good afternoon",
        "hello, anyone there",
        "hi, I have a question",
        "hey",
        "good evening",
        "hello bot",
        "hi there, how are you",
        "morning",
    ],
    "goodbye": [
        "bye",
        "thanks, goodbye",
        "that's all, thank you",
        "see you",
        "thank you, bye",
        "ok that helps, bye",
        "goodbye",
        "cheers, that's everything",
        "thanks for your help",
        "have a nice day",
        "bye bye",
        "that's it, thanks",
    ],
}
FILLERS = {
    "order": ["VB-104233", "VB-118907", "VB-120456", "VB-131772", "VB-142009", "VB-150318"],
    "item": ["bike", "helmet", "battery", "e-bike", "lock", "saddle", "jacket", "charger"],
    "city": ["Berlin", "Munich", "Hamburg"],
    "day": ["saturday", "monday", "friday", "sunday", "a holiday", "wednesday"],
    "part": ["battery", "motor", "brakes", "display", "gears", "chain", "charger", "frame"],
}

SUBJECTS = [
    "the delivery",
    "the e-bike",
    "the battery",
    "the repair service",
    "the staff in the Munich store",
    "the app",
    "customer support",
    "the test ride",
    "the new saddle",
    "the financing process",
    "the motor",
    "the Berlin store",
    "the help desk chat",
    "the assembly instructions",
    "the charger",
]
POSITIVE = [
    "was excellent",
    "was fast and friendly",
    "exceeded my expectations",
    "works perfectly",
    "was really helpful",
    "is amazing",
    "made everything easy",
    "was great value",
    "is a pleasure to use",
    "could not have been better",
    "was quick and professional",
    "is fantastic",
]
NEGATIVE = [
    "was terrible",
    "was slow and unhelpful",
    "broke after two weeks",
    "is a disappointment",
    "was not helpful at all",
    "is awful",
    "made everything complicated",
    "was a waste of money",
    "never works properly",
    "could not have been worse",
    "was rude and careless",
    "is useless",
]
NEUTRAL = [
    "arrived on tuesday",
    "was as described",
    "is what I ordered",
    "took about a week",
    "was okay",
    "is in the box",
    "was average",
    "did what it says",
    "is standard",
    "was handled by email",
    "is being checked",
    "was picked up today",
]
ADDITIONS = {
    "positive": ["I would recommend Velora.", "Thank you!", "Very happy.", "Five stars.", ""],
    "negative": ["I want a refund.", "Never again.", "Very annoyed.", "One star.", ""],
    "neutral": ["No further comments.", "Order VB-160233.", "Just for your information.", "", ""],
}


def _intents(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for intent, templates in INTENT_TEMPLATES.items():
        for template in templates:
            slots = [s for s in FILLERS if "{" + s + "}" in template]
            combos = [dict(zip(slots, values, strict=True)) for values in product(*(FILLERS[s] for s in slots))]
            picks = rng.choice(len(combos), size=min(3, len(combos)), replace=False) if slots else [0]
            seen = set()
            for i in picks:
                text = template.format(**combos[i]) if slots else template
                if rng.random() < 0.3:
                    text = text[0].upper() + text[1:]
                if rng.random() < 0.4:
                    text += "?" if intent not in ("greeting", "goodbye") else "!"
                if text not in seen:
                    seen.add(text)
                    rows.append((text, intent))
    frame = pd.DataFrame(rows, columns=["text", "intent"])
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


def _feedback(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for label, phrases in (("positive", POSITIVE), ("negative", NEGATIVE), ("neutral", NEUTRAL)):
        pairs = list(product(SUBJECTS, phrases))
        for i in rng.choice(len(pairs), size=160, replace=False):
            subject, phrase = pairs[i]
            extra = ADDITIONS[label][rng.integers(len(ADDITIONS[label]))]
            text = f"{subject[0].upper()}{subject[1:]} {phrase}. {extra}".strip()
            rows.append((text, label))
    frame = pd.DataFrame(rows, columns=["text", "sentiment"])
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


def generate(folder: Path) -> None:
    rng = np.random.default_rng(SEED)
    with open(folder / "kb_docs.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for i, (title, text) in enumerate(KB, start=1):
            fh.write(json.dumps({"id": f"KB-{i:03d}", "title": title, "text": text}) + "\n")
    _intents(rng).to_csv(folder / "intents.csv", index=False, lineterminator="\n")
    _feedback(rng).to_csv(folder / "feedback.csv", index=False, lineterminator="\n")
