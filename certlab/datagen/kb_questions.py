"""Labelled questions about the Velora help-desk knowledge base (``kb_docs.jsonl``), for retrieval
and RAG evaluation (``26_embeddings_vector_search``, ``27_rag_evaluation``).

``kb_questions.jsonl`` has one question a line, written by hand:

- ``id`` (``Q-001`` ...), ``question``;
- ``relevance``: graded relevance judgements ``{doc_id: grade}``, 2 for the article that answers
  the question and 1 for an article on the same subject that does not answer it; empty for the
  questions the knowledge base cannot answer;
- ``evidence``: the sentence of the answering article, word for word, that answers the question
  (``""`` when unanswerable);
- ``answer``: the short answer, a substring of ``evidence`` (``""`` when unanswerable).

The questions are worded differently from the articles on purpose (synonyms, no shared title
words), so that exact keyword search is not enough. The generator checks every evidence sentence
and answer against the articles, so the file cannot drift from ``kb_docs.jsonl``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from certlab.datagen.helpdesk import KB

FILES = ("kb_questions.jsonl",)

# (question, {doc number: grade}, evidence sentence, short answer)
QUESTIONS = [
    ("How many days do I have to send back an accessory?", {1: 2, 12: 1},
     "You can return a bike or an accessory within 30 days of delivery.", "30 days"),
    ("When will I get my money back after returning something?", {1: 2},
     "Refunds are paid to the original payment method within 5 to 7 business days after the return arrives at "
     "our warehouse.", "within 5 to 7 business days"),
    ("How long is the motor covered by the guarantee?", {2: 2},
     "The motor and the battery are covered for 2 years or 500 charge cycles, whichever comes first.",
     "2 years or 500 charge cycles"),
    ("Are brake pads included in the warranty?", {2: 2, 16: 1},
     "Wear parts such as tyres, brake pads and chains are not covered.", "not covered"),
    ("What do I need to make a warranty claim?", {2: 2, 19: 1},
     "To make a warranty claim you need the frame number and the proof of purchase.",
     "the frame number and the proof of purchase"),
    ("Can I charge the battery when it is freezing outside?", {3: 2},
     "Never charge the battery below 0 degrees Celsius.", "Never charge the battery below 0 degrees Celsius"),
    ("How should I keep the battery over the winter months?", {3: 2},
     "Before winter storage, charge it to about half and top it up every two months.",
     "charge it to about half and top it up every two months"),
    ("How far can I ride with the PowerPack 625?", {4: 2},
     "The PowerPack 500 battery gives a range of 40 to 100 km and the PowerPack 625 a range of 50 to 120 km.",
     "50 to 120 km"),
    ("Which assist setting gives me the most kilometres per charge?", {4: 2, 15: 1},
     "Riding in eco mode gives the longest range.", "eco mode"),
    ("How long does delivery to France take?", {5: 2, 6: 1},
     "Orders within Germany arrive in 3 to 5 business days, and orders to other EU countries in 5 to 8 business "
     "days.", "5 to 8 business days"),
    ("How much is express shipping?", {5: 2},
     "Express delivery in 2 business days costs 29 euros.", "29 euros"),
    ("Does the bike arrive fully assembled?", {5: 2},
     "Bikes are shipped 95 percent assembled: you only fit the handlebar and the pedals.",
     "95 percent assembled"),
    ("How can I follow my parcel once it has left?", {6: 2, 5: 1},
     "When your order leaves our warehouse you receive an email with a tracking link.", "a tracking link"),
    ("What does an order number look like?", {6: 2},
     "Order numbers look like VB-123456.", "VB-123456"),
    ("When does the Hamburg shop close on Saturday?", {7: 2},
     "Our stores in Berlin, Munich and Hamburg are open Monday to Friday from 10:00 to 19:00 and on Saturday "
     "from 10:00 to 16:00.", "16:00"),
    ("Can I visit a shop on a Sunday?", {7: 2},
     "Stores are closed on Sundays and public holidays.", "closed on Sundays and public holidays"),
    ("Until what time can I phone customer support?", {7: 2},
     "The help desk answers chats and calls on weekdays from 8:00 to 20:00.", "20:00"),
    ("What is the price of a standard service?", {8: 2, 9: 1},
     "A standard service costs 79 euros and takes 48 hours.", "79 euros"),
    ("What do your mechanics check during a service?", {8: 2, 21: 1},
     "We check the brakes, gears, tyres, lights and the motor software, and we send you a quote before any "
     "extra work.", "the brakes, gears, tyres, lights and the motor software"),
    ("When is my new bike due for its first check-up?", {9: 2, 8: 1},
     "Bring a new bike for its first inspection after 300 km or 3 months, whichever comes first.",
     "after 300 km or 3 months"),
    ("Do I have to pay for the first inspection?", {9: 2},
     "The first inspection is free.", "free"),
    ("Can I pay with PayPal?", {10: 2, 11: 1},
     "We accept credit and debit cards, PayPal and bank transfer.", "PayPal"),
    ("Can I redeem a gift card in a shop?", {10: 2},
     "Gift cards can be used online and in stores.", "online and in stores"),
    ("Can I spread the cost of my bike over a year?", {11: 2, 10: 1, 23: 1},
     "For orders above 1,000 euros you can pay in 12 monthly instalments at 0 percent interest.",
     "12 monthly instalments at 0 percent interest"),
    ("Is there a penalty for paying off my loan early?", {11: 2},
     "You can repay the rest early at any time without a fee.", "without a fee"),
    ("Can I still cancel my order after it has been sent?", {12: 2, 1: 1},
     "Once the order is shipped, cancellation is no longer possible, so please start a return after delivery "
     "instead.", "cancellation is no longer possible"),
    ("Which size should I pick if I am 185 cm tall?", {13: 2, 14: 1},
     "Size S fits riders from 155 to 170 cm, size M from 170 to 182 cm and size L from 182 to 195 cm.",
     "size L"),
    ("What should I bring along when I try a bike?", {14: 2},
     "Book a 30-minute slot online and bring an ID card or a passport.", "an ID card or a passport"),
    ("Do I need my own helmet to try a bike?", {14: 2},
     "Helmets are available to borrow.", "Helmets are available to borrow"),
    ("How hard should I pump my tyres for riding in town?", {15: 2},
     "For city riding keep the tyres between 2.5 and 4 bar; the exact range is printed on the side of the tyre.",
     "between 2.5 and 4 bar"),
    ("How often should I check my tyres?", {15: 2},
     "Check the pressure once a month.", "once a month"),
    ("When do the brake pads need changing?", {16: 2, 8: 1},
     "Replace the brake pads when they are thinner than 1.5 mm or when you hear grinding.",
     "thinner than 1.5 mm"),
    ("What kind of brakes does the bike have?", {16: 2},
     "Velora bikes use hydraulic disc brakes.", "hydraulic disc brakes"),
    ("My display shows E03, what should I do?", {17: 2},
     "Error E03 means the motor is overheating: stop and let it cool for 15 minutes.",
     "let it cool for 15 minutes"),
    ("What is wrong when the screen says E01?", {17: 2},
     "Error E01 means the motor speed sensor lost its signal: check the magnet on the rear wheel.",
     "the motor speed sensor lost its signal"),
    ("How soon after delivery must I register my bike with the insurer?", {18: 2, 19: 1, 23: 1},
     "Register your frame number with the insurer within 14 days of delivery.", "within 14 days of delivery"),
    ("Is my bike insured if it gets stolen?", {18: 2, 23: 1},
     "We work with two insurance partners that cover theft and accidental damage.",
     "two insurance partners that cover theft and accidental damage"),
    ("Where is the frame number on my bike?", {19: 2, 2: 1},
     "The frame number is engraved under the bottom bracket, where the pedal cranks meet the frame.",
     "under the bottom bracket"),
    ("How much does a new key for the battery cost?", {20: 2},
     "A replacement key costs 25 euros and arrives within a week.", "25 euros"),
    ("I lost the key for my battery lock, what now?", {20: 2},
     "If you lose the key of the battery lock, order a replacement with the key number printed on the spare "
     "key card.", "order a replacement with the key number printed on the spare key card"),
    ("Can I install the motor firmware myself?", {21: 2, 8: 1},
     "You cannot update the software yourself.", "You cannot update the software yourself"),
    ("What do the software updates improve?", {21: 2},
     "Updates improve the assist feel and the accuracy of the range estimate.",
     "the assist feel and the accuracy of the range estimate"),
    ("How much is my old bike worth if I trade it in?", {22: 2},
     "We value it in store and give you a credit of up to 800 euros towards the new bike.",
     "a credit of up to 800 euros"),
    ("Can I trade in a bike from another brand?", {22: 2},
     "Trade in your old bike, of any brand, when you buy a new Velora.", "of any brand"),
    ("What does the monthly bike plan cost?", {23: 2, 11: 1},
     "With the Velora subscription you ride a bike for 49 euros a month, service and theft insurance included.",
     "49 euros a month"),
    ("What is the minimum term of the subscription?", {23: 2},
     "The minimum term is 6 months, and you can cancel with one month's notice after that.", "6 months"),
    ("How do I get my personal data deleted?", {24: 2},
     "You can ask for a copy of your data or for its deletion with the privacy form on our website.",
     "the privacy form on our website"),
    ("Do you sell my information to other companies?", {24: 2},
     "We store customer data on servers in the EU and never sell it.", "never sell it"),
    # The knowledge base cannot answer these: a RAG system should refuse.
    ("Who won the football world cup in 2014?", {}, "", ""),
    ("How do I bake sourdough bread?", {}, "", ""),
    ("Can you recommend a good hotel in Rome?", {}, "", ""),
    ("Is it going to rain tomorrow in Berlin?", {}, "", ""),
    ("What time does the last train to Hamburg leave?", {}, "", ""),
    ("How do I reset my home router?", {}, "", ""),
    ("What is the capital of Australia?", {}, "", ""),
    ("Which vitamins should I take in winter?", {}, "", ""),
]  # fmt: skip


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=[.!?])\s+", text)


def generate(folder: Path) -> None:
    with open(folder / "kb_questions.jsonl", "w", encoding="utf-8", newline="\n") as fh:
        for i, (question, grades, evidence, answer) in enumerate(QUESTIONS, start=1):
            relevance = {f"KB-{n:03d}": g for n, g in sorted(grades.items(), key=lambda kv: (-kv[1], kv[0]))}
            if grades:
                best = [n for n, g in grades.items() if g == 2]
                assert len(best) == 1, question
                assert evidence in _sentences(KB[best[0] - 1][1]), f"evidence not in KB-{best[0]:03d}: {evidence}"
                assert answer and answer in evidence, question
            row = {"id": f"Q-{i:03d}", "question": question, "relevance": relevance, "evidence": evidence}
            row["answer"] = answer
            fh.write(json.dumps(row) + "\n")
