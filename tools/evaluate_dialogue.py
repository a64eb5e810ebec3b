"""The dialogue part of `python -m tools.evaluate` (issue 11): requests for a person, conversations.

Two figures, next to the held-out NLU figures:

- On the handoff development sets (`tests/data/handoff_dev_en.jsonl`, NLU++ banking,
  CC BY 4.0, see NOTICE; `tests/data/handoff_dev_fr.jsonl`, written for GEM-BOOKS), per
  language: the recall of `request_human` (the intent the model acts on, after its own
  fallback) and the share where a person is offered at once (`request_human`, or
  `frustration`, whose answer carries a "talk to someone" button), with the misses. These
  sets are for measuring only: never copy them into `data/`.
- The share of the multi-turn conversations in `tests/conversations/` that reach the right
  outcome on the real stack (`tools/conversations.py`).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from tools.evaluate import LANGUAGE_NAMES, LANGUAGES, Example, Prediction, intent_label

__all__ = ["conversation_report", "handoff_report", "load_handoff_dev", "print_handoff_report"]

HANDOFF_INTENT = "request_human"
# Intents whose answer offers a person at once.
OFFERS_PERSON = (HANDOFF_INTENT, "frustration")
# Labelled `handoff` by its source, but it declines a person; scored as labelled.
LABEL_CONTRADICTED = ("No, you don't need to transfer me to a real person",)


def load_handoff_dev(root: Path) -> list[Example]:
    """Every message of the handoff development sets; all of them ask for a person."""
    examples = []
    for language in LANGUAGES:
        path = root / "tests" / "data" / f"handoff_dev_{language}.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                examples.append(Example(row["text"], HANDOFF_INTENT, row["lang"]))
    return examples


def handoff_report(predictions: list[Prediction]) -> dict[str, Any]:
    """Per language: messages, request_human recall, person-offered share, misses."""
    report: dict[str, Any] = {}
    for language in LANGUAGES:
        subset = [p for p in predictions if p.example.language == language]
        misses, offered = [], 0
        for p in subset:
            label = intent_label(p)
            offered += label in OFFERS_PERSON
            if label != HANDOFF_INTENT:
                misses.append(
                    {
                        "text": p.example.text,
                        "predicted": label,
                        "top_intent": p.top_intent,
                        "confidence": round(p.confidence, 3),
                        "person_offered": label in OFFERS_PERSON,
                        "label_contradicted": p.example.text in LABEL_CONTRADICTED,
                    }
                )
        contradicted = [
            {"text": p.example.text, "predicted": intent_label(p)}
            for p in subset
            if p.example.text in LABEL_CONTRADICTED
        ]
        total = max(1, len(subset))
        report[language] = {
            "messages": len(subset),
            "request_human_recall": (len(subset) - len(misses)) / total,
            "person_offered_share": offered / total,
            "misses": misses,
            "contradicted": contradicted,
        }
    return report


def print_handoff_report(report: dict[str, Any]) -> None:
    print("\n== Asking for a person (tests/data/handoff_dev_*.jsonl, development sets) ==")
    for language, row in report.items():
        print(
            f"{LANGUAGE_NAMES[language]:<8} {row['messages']} messages: request_human recall "
            f"{row['request_human_recall']:.3f} (target ≥ 0.95); person offered at once "
            f"{row['person_offered_share']:.3f}"
        )
        for text in LABEL_CONTRADICTED:
            found = [p for p in row.get("contradicted", []) if p["text"] == text]
            for item in found:
                print(
                    f"  note: labelled handoff by its source but it declines a person, counted as labelled "
                    f"(predicted {item['predicted']}): {text}"
                )
        for miss in row["misses"]:
            flags = " [person offered]" if miss["person_offered"] else ""
            if miss["label_contradicted"]:
                flags += " [source label handoff, but the text declines a person; counted as labelled]"
            print(
                f"  miss: {miss['predicted']} ({miss['top_intent']} {miss['confidence']:.2f}){flags}: "
                f"{miss['text']}"
            )


def conversation_report(model: Path) -> dict[str, Any]:
    """Start the real stack and play `tests/conversations/` (prints one line per conversation)."""
    from tools.conversations import load_conversations, run_conversations

    return asyncio.run(run_conversations(load_conversations(), model))
