"""Evaluate the trained NLU on the held-out split, per language.

    python -m tools.evaluate [--model models/gem-books.tar.gz] [--json results/evaluation.json]

The model is trained on data/ only (`make train`); the held-out split lives in
tests/data/ and is never trained on: `nlu_heldout_fr.yml`, `nlu_heldout_en.yml` and the
held-out part of the licensed out-of-scope corpus (`oos_corpus_heldout.jsonl`).

Printed per language: intent precision, recall and F1 per intent and macro-F1; entity
precision, recall and F1 per entity type; the share of out-of-scope messages accepted as
an in-scope intent; in-scope recall; and a sweep of the fallback threshold so it can be
calibrated (the assistant answers `nlu_fallback` below it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.stack import PROJECT_ROOT, StackError, latest_model

# Not intents a person can be "in" for support purposes: rejecting them is correct.
REJECTED = ("out_of_scope", "nlu_fallback")
IGNORED_ENTITIES = ("language",)  # added by our own component, not annotated


@dataclass
class Example:
    text: str
    intent: str
    language: str
    entities: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Prediction:
    example: Example
    intent: str  # after the fallback classifier
    top_intent: str  # best real intent, ignoring the fallback
    confidence: float
    entities: list[tuple[str, str]]


def load_heldout(root: Path) -> list[Example]:
    """The held-out examples of both languages, with their gold intent and entities."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples: list[Example] = []
    for language in ("fr", "en"):
        data = load_data(str(root / "tests" / "data" / f"nlu_heldout_{language}.yml"))
        for message in data.intent_examples:
            entities = [(e["entity"], str(e["value"])) for e in message.get("entities") or []]
            examples.append(Example(message.get("text"), message.get("intent"), language, entities))
    corpus = root / "tests" / "data" / "oos_corpus_heldout.jsonl"
    for line in corpus.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            examples.append(Example(row["text"], "out_of_scope", row["lang"]))
    return examples


async def predict(model: Path, examples: Iterable[Example]) -> list[Prediction]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    predictions = []
    for example in examples:
        parsed: dict[str, Any] = await agent.parse_message(example.text)
        ranking = [r for r in parsed.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
        top = ranking[0] if ranking else {"name": parsed["intent"]["name"], "confidence": 0.0}
        entities = [
            (e["entity"], str(e["value"]))
            for e in parsed.get("entities") or []
            if e["entity"] not in IGNORED_ENTITIES
        ]
        predictions.append(
            Prediction(example, parsed["intent"]["name"], top["name"], float(top["confidence"]), entities)
        )
    return predictions


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def intent_label(prediction: Prediction, threshold: float | None = None) -> str:
    """The intent the assistant acts on; a fallback counts as rejecting the message."""
    if threshold is None:
        label = prediction.intent
    else:
        label = prediction.top_intent if prediction.confidence >= threshold else "nlu_fallback"
    return "out_of_scope" if label in REJECTED else label


def score(predictions: list[Prediction], threshold: float | None = None) -> dict[str, Any]:
    """Intent, entity and out-of-scope figures for one language."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    for p in predictions:
        gold, guess = p.example.intent, intent_label(p, threshold)
        if gold == guess:
            counts[gold][0] += 1
        else:
            counts[guess][1] += 1
            counts[gold][2] += 1
    per_intent = {
        name: dict(zip(("precision", "recall", "f1"), _prf(*c), strict=True), support=c[0] + c[2])
        for name, c in sorted(counts.items())
        if c[0] + c[2] > 0
    }
    macro_f1 = sum(v["f1"] for v in per_intent.values()) / max(1, len(per_intent))

    oos = [p for p in predictions if p.example.intent == "out_of_scope"]
    in_scope = [p for p in predictions if p.example.intent != "out_of_scope"]
    accepted = sum(intent_label(p, threshold) != "out_of_scope" for p in oos)
    in_scope_recall = sum(intent_label(p, threshold) == p.example.intent for p in in_scope)

    entity_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for p in predictions:
        gold, found = list(p.example.entities), list(p.entities)
        for item in found:
            if item in gold:
                gold.remove(item)
                entity_counts[item[0]][0] += 1
            else:
                entity_counts[item[0]][1] += 1
        for item in gold:
            entity_counts[item[0]][2] += 1
    per_entity = {
        name: dict(zip(("precision", "recall", "f1"), _prf(*c), strict=True), support=c[0] + c[2])
        for name, c in sorted(entity_counts.items())
    }
    return {
        "examples": len(predictions),
        "macro_f1": macro_f1,
        "per_intent": per_intent,
        "per_entity": per_entity,
        "oos_examples": len(oos),
        "oos_accepted_share": accepted / max(1, len(oos)),
        "in_scope_recall": in_scope_recall / max(1, len(in_scope)),
    }


def print_report(language: str, result: dict[str, Any], sweep: dict[float, dict[str, Any]]) -> None:
    name = {"fr": "French", "en": "English"}[language]
    print(f"\n== {name} ({result['examples']} held-out messages) ==")
    print(f"{'intent':<24}{'precision':>10}{'recall':>8}{'f1':>8}{'n':>6}")
    for intent, row in result["per_intent"].items():
        print(
            f"{intent:<24}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}{row['support']:>6}"
        )
    print(f"{'macro-F1':<24}{result['macro_f1']:>26.3f}")
    print(f"{'entity':<24}{'precision':>10}{'recall':>8}{'f1':>8}{'n':>6}")
    for entity, row in result["per_entity"].items():
        print(
            f"{entity:<24}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}{row['support']:>6}"
        )
    print(
        f"out-of-scope accepted as in-scope: {result['oos_accepted_share']:.1%} "
        f"of {result['oos_examples']}; in-scope recall {result['in_scope_recall']:.3f}"
    )
    print("fallback threshold sweep (threshold: macro-F1 / OOS accepted / in-scope recall):")
    print(
        "  "
        + "  ".join(
            f"{t:.2f}: {r['macro_f1']:.3f}/{r['oos_accepted_share']:.1%}/{r['in_scope_recall']:.3f}"
            for t, r in sweep.items()
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model archive (default: newest in models/)")
    parser.add_argument("--json", type=Path, default=PROJECT_ROOT / "results" / "evaluation.json")
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa logs every parse at debug level otherwise
    try:
        model = args.model or latest_model(PROJECT_ROOT / "models")
    except StackError as error:
        print(error, file=sys.stderr)
        return 2
    if not model.exists():
        print(f"no model at {model}: run `make train` first", file=sys.stderr)
        return 2
    predictions = asyncio.run(predict(model, load_heldout(PROJECT_ROOT)))
    report: dict[str, Any] = {"model": str(model), "languages": {}}
    for language in ("fr", "en"):
        subset = [p for p in predictions if p.example.language == language]
        result = score(subset)
        sweep = {t / 100: score(subset, t / 100) for t in range(30, 90, 5)}
        print_report(language, result, sweep)
        report["languages"][language] = {
            **result,
            "threshold_sweep": {
                f"{t:.2f}": {k: r[k] for k in ("macro_f1", "oos_accepted_share", "in_scope_recall")}
                for t, r in sweep.items()
            },
        }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
