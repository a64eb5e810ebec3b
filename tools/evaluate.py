"""Evaluate the trained NLU on the held-out split, per language, against two baselines.

    python -m tools.evaluate [--model models/gem-books.tar.gz] [--json results/evaluation.json]
                             [--skip-baselines] [--retrain-baselines] [--skip-conversations]

The model is trained on data/ only (`make train`); the held-out split lives in
tests/data/ and is never trained on: `nlu_heldout_fr.yml`, `nlu_heldout_en.yml` and the
held-out part of the licensed out-of-scope corpus (`oos_corpus_heldout.jsonl`).

Printed per language: intent precision, recall and F1 per intent and macro-F1; entity
precision, recall and F1 per entity type; the share of out-of-scope messages accepted as
an in-scope intent; in-scope recall; and a sweep of the fallback threshold (with the
model's ambiguity threshold, as the FallbackClassifier applies it) so it can be
calibrated. A confusion matrix per language goes to results/confusion_<lang>.png.

Then, on the same held-out messages, two baselines (`tools/baselines.py`): Rasa's default
pipeline (what `rasa init` trains; cached in models/baselines/, the first run trains it)
and TF-IDF + logistic regression; `--skip-baselines` leaves them out. A compact table
compares macro-F1, out-of-scope acceptance and in-scope recall per language.

Last, the email triage on the mail corpus (``tools/evaluate_mail.py``): decisions, topics
and wrong automatic answers per language and split, also under "mail" in the JSON.

Fallback thresholds: "ours" and "rasa init default" are scored as their config says. The
threshold rule (`choose_threshold`) is applied to every system on the same grid: the
threshold with the best mean macro-F1 over both languages among those meeting the
out-of-scope and in-scope-recall targets in both languages (else the best mean
macro-F1). The logistic regression has no threshold of its own, so it is scored at the
rule's choice; the Rasa systems get an extra "threshold rule" row when it differs from
their config. Like our config's threshold, the rule's choice is made on the held-out
split itself, so those rows are optimistic for every system alike.

Last, the dialogue figures of issue 11 (`tools/evaluate_dialogue.py`): `request_human`
recall on the handoff development sets, and the share of the conversations in
`tests/conversations/` that reach the right outcome on the real stack (started here;
`--skip-conversations` leaves them out).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.stack import PROJECT_ROOT, StackError, latest_model

# Not intents a person can be "in" for support purposes: rejecting them is correct.
REJECTED = ("out_of_scope", "nlu_fallback")
IGNORED_ENTITIES = ("language",)  # added by our own component, not annotated
LANGUAGES = ("fr", "en")
LANGUAGE_NAMES = {"fr": "French", "en": "English"}
# Fallback thresholds tried by the sweep and by the threshold rule (0.10 … 0.85).
SWEEP = tuple(t / 100 for t in range(10, 90, 5))
TARGETS = {"macro_f1": 0.95, "oos_accepted_share": 0.05, "in_scope_recall": 0.95}
SUMMARY_KEYS = ("macro_f1", "oos_accepted_share", "in_scope_recall")


@dataclass
class Example:
    text: str
    intent: str
    language: str
    entities: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Prediction:
    example: Example
    intent: str  # after the model's own fallback (if it has one)
    top_intent: str  # best real intent, ignoring the fallback
    confidence: float
    entities: list[tuple[str, str]]
    second_confidence: float = 0.0  # the runner-up real intent's confidence


@dataclass
class Fallback:
    """When a system falls back: confidence below `threshold`, or the best two intents
    closer than `ambiguity` (Rasa's FallbackClassifier)."""

    threshold: float
    ambiguity: float = 0.0


def load_heldout(root: Path) -> list[Example]:
    """The held-out examples of both languages, with their gold intent and entities."""
    from rasa.shared.nlu.training_data.loading import load_data

    examples: list[Example] = []
    for language in LANGUAGES:
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


def model_fallback(agent: Any) -> Fallback | None:
    """The FallbackClassifier settings inside a loaded Rasa model, if it has one."""
    for node in agent.processor.model_metadata.predict_schema.nodes.values():
        if node.uses.__name__ == "FallbackClassifier":
            return Fallback(
                float(node.config.get("threshold", 0.3)), float(node.config.get("ambiguity_threshold", 0.1))
            )
    return None


async def predict(model: Path, examples: Iterable[Example]) -> tuple[list[Prediction], Fallback | None]:
    """Parse every example with a Rasa model; also returns the model's fallback settings."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    predictions = []
    for example in examples:
        parsed: dict[str, Any] = await agent.parse_message(example.text)
        ranking = [r for r in parsed.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
        top = ranking[0] if ranking else {"name": parsed["intent"]["name"], "confidence": 0.0}
        second = float(ranking[1]["confidence"]) if len(ranking) > 1 else 0.0
        entities = [
            (e["entity"], str(e["value"]))
            for e in parsed.get("entities") or []
            if e["entity"] not in IGNORED_ENTITIES
        ]
        predictions.append(
            Prediction(
                example,
                parsed["intent"]["name"],
                top["name"],
                float(top["confidence"]),
                entities,
                second,
            )
        )
    return predictions, model_fallback(agent)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def intent_label(prediction: Prediction, fallback: Fallback | float | None = None) -> str:
    """The intent the assistant acts on; a fallback counts as rejecting the message.

    `fallback` None: as the model predicted. A number: that confidence threshold alone.
    """
    if fallback is None:
        label = prediction.intent
    else:
        if not isinstance(fallback, Fallback):
            fallback = Fallback(float(fallback))
        falls_back = prediction.confidence < fallback.threshold or (
            prediction.confidence - prediction.second_confidence < fallback.ambiguity
        )
        label = "nlu_fallback" if falls_back else prediction.top_intent
    return "out_of_scope" if label in REJECTED else label


def score(predictions: list[Prediction], fallback: Fallback | float | None = None) -> dict[str, Any]:
    """Intent, entity and out-of-scope figures for one language."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    for p in predictions:
        gold, guess = p.example.intent, intent_label(p, fallback)
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
    accepted = sum(intent_label(p, fallback) != "out_of_scope" for p in oos)
    in_scope_recall = sum(intent_label(p, fallback) == p.example.intent for p in in_scope)

    entity_counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for p in predictions:
        expected, predicted = list(p.example.entities), list(p.entities)
        for pair in predicted:
            if pair in expected:
                expected.remove(pair)
                entity_counts[pair[0]][0] += 1
            else:
                entity_counts[pair[0]][1] += 1
        for pair in expected:
            entity_counts[pair[0]][2] += 1
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


def by_language(items: Sequence[Any]) -> dict[str, list[Any]]:
    """Predictions (or examples) split by the example's language."""

    def language(item: Any) -> str:
        return item.example.language if isinstance(item, Prediction) else item.language

    return {lang: [item for item in items if language(item) == lang] for lang in LANGUAGES}


def spread(items: Sequence[Any], count: int) -> list[Any]:
    """About `count` items taken evenly across `items` (so every intent keeps a few)."""
    step = max(1, len(items) // max(1, count))
    return list(items[::step])[:count]


def summary(result: dict[str, Any]) -> dict[str, float]:
    return {key: result[key] for key in SUMMARY_KEYS}


def meets_targets(row: dict[str, float]) -> bool:
    return (
        row["macro_f1"] >= TARGETS["macro_f1"]
        and row["oos_accepted_share"] <= TARGETS["oos_accepted_share"]
        and row["in_scope_recall"] >= TARGETS["in_scope_recall"]
    )


def sweep(predictions: Sequence[Prediction], ambiguity: float = 0.0) -> dict[float, dict[str, Any]]:
    return {t: score(list(predictions), Fallback(t, ambiguity)) for t in SWEEP}


def choose_threshold(sweeps: dict[str, dict[float, dict[str, Any]]]) -> float:
    """The threshold rule: best mean macro-F1 over the languages among thresholds where
    every language keeps out-of-scope acceptance and in-scope recall within target;
    the best mean macro-F1 overall if no threshold does. Ties go to the higher threshold
    (the more cautious one)."""

    def mean_f1(t: float) -> float:
        return sum(s[t]["macro_f1"] for s in sweeps.values()) / len(sweeps)

    def within(t: float) -> bool:
        return all(
            s[t]["oos_accepted_share"] <= TARGETS["oos_accepted_share"]
            and s[t]["in_scope_recall"] >= TARGETS["in_scope_recall"]
            for s in sweeps.values()
        )

    candidates = [t for t in SWEEP if within(t)] or list(SWEEP)
    return max(candidates, key=lambda t: (round(mean_f1(t), 9), t))


def print_report(language: str, result: dict[str, Any], swept: dict[float, dict[str, Any]]) -> None:
    print(f"\n== {LANGUAGE_NAMES[language]} ({result['examples']} held-out messages) ==")
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
    cells = [
        f"{t:.2f}: {r['macro_f1']:.3f}/{r['oos_accepted_share']:5.1%}/{r['in_scope_recall']:.3f}"
        for t, r in swept.items()
    ]
    for start in range(0, len(cells), 4):
        print("  " + "   ".join(cells[start : start + 4]))


def confusion(predictions: Sequence[Prediction]) -> tuple[list[str], list[list[int]]]:
    """Labels (in-scope intents sorted, out_of_scope last) and counts[gold][predicted]."""
    pairs = [(p.example.intent, intent_label(p)) for p in predictions]
    names = {name for pair in pairs for name in pair}
    labels = sorted(names - {"out_of_scope"}) + (["out_of_scope"] if "out_of_scope" in names else [])
    index = {name: i for i, name in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for gold, guess in pairs:
        matrix[index[gold]][index[guess]] += 1
    return labels, matrix


def save_confusion_png(labels: list[str], matrix: list[list[int]], title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    counts = np.array(matrix, dtype=float)
    # Colour by share of the gold row, so small intents show their errors as clearly
    # as out_of_scope (which has ten times the messages); the cells give the counts.
    shares = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = 2.5 + 0.5 * len(labels)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)))
    ax.set_yticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=50, ha="right", rotation_mode="anchor", fontsize=9)
    ax.set_yticklabels(labels, fontsize=9)
    ax.set_xlabel("predicted (a fallback counts as out_of_scope)")
    ax.set_ylabel("true intent")
    ax.set_title(title, fontsize=11)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if counts[i, j]:
                ax.text(
                    j,
                    i,
                    int(counts[i, j]),
                    ha="center",
                    va="center",
                    fontsize=8,
                    color="white" if shares[i, j] > 0.5 else ("black" if i == j else "firebrick"),
                )
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the true intent's messages")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


@dataclass
class System:
    """One NLU system's predictions on the held-out split and how it is scored."""

    key: str
    label: str
    predictions: list[Prediction]
    fallback: Fallback | None  # its own settings; None: scored at the threshold rule's choice
    ambiguity: float = 0.0  # used by the sweep and the threshold rule
    notes: dict[str, Any] = field(default_factory=dict)

    def evaluate(self) -> dict[str, Any]:
        """Its figures as configured, its sweep and the threshold rule's choice."""
        split = by_language(self.predictions)
        sweeps = {lang: sweep(split[lang], self.ambiguity) for lang in LANGUAGES}
        chosen = choose_threshold(sweeps)
        rows: dict[str, dict[str, Any]] = {}
        if self.fallback is not None:
            rows["configured"] = {
                "threshold": self.fallback.threshold,
                "ambiguity": self.fallback.ambiguity,
                "languages": {lang: score(split[lang]) for lang in LANGUAGES},
            }
        if self.fallback is None or abs(chosen - self.fallback.threshold) > 1e-9:
            rows["threshold_rule"] = {
                "threshold": chosen,
                "ambiguity": self.ambiguity,
                "languages": {
                    lang: score(split[lang], Fallback(chosen, self.ambiguity)) for lang in LANGUAGES
                },
            }
        return {
            "label": self.label,
            **self.notes,
            "threshold_rule_choice": chosen,
            "rows": rows,
            "threshold_sweep": {
                lang: {f"{t:.2f}": summary(r) for t, r in sweeps[lang].items()} for lang in LANGUAGES
            },
        }


def comparison_rows(results: dict[str, dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    """(system key, row label, per-language scores) for the comparison table."""
    rows = []
    for key, result in results.items():
        for kind, row in result["rows"].items():
            how = "as configured" if kind == "configured" else "threshold rule"
            setting = f"{row['threshold']:.2f}" + (f"/{row['ambiguity']:.2f}" if row["ambiguity"] else "")
            rows.append((key, f"{result['label']}, {how} ({setting})", row["languages"]))
    return rows


def print_comparison(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The compact table; returns the verdicts on the targets."""
    rows = comparison_rows(results)
    width = max(len(label) for _, label, _ in rows) + 2
    print("\n== Comparison on the same held-out messages (fallback counted as out_of_scope) ==")
    print(f"{'':<{width}}" + "".join(f"{LANGUAGE_NAMES[lang]:^30}" for lang in LANGUAGES))
    columns = f"{'macro-F1':>10}{'OOS acc.':>10}{'in-sc. R':>10}"
    print(f"{'system (fallback threshold/ambiguity)':<{width}}{columns * len(LANGUAGES)}")
    for _, label, langs in rows:
        cells = "".join(
            f"{langs[lang]['macro_f1']:>10.3f}{langs[lang]['oos_accepted_share']:>10.1%}"
            f"{langs[lang]['in_scope_recall']:>10.3f}"
            for lang in LANGUAGES
        )
        print(f"{label:<{width}}{cells}")
    targets = f"{'≥ 0.950':>10}{'≤ 5.0%':>10}{'≥ 0.950':>10}"
    print(f"{'targets':<{width}}{targets * len(LANGUAGES)}")

    ours = results["ours"]["rows"]["configured"]["languages"]
    verdicts: dict[str, Any] = {}
    for lang in LANGUAGES:
        row = summary(ours[lang])
        baseline_f1 = {label: langs[lang]["macro_f1"] for key, label, langs in rows if key != "ours"}
        verdicts[lang] = {
            "macro_f1_target": row["macro_f1"] >= TARGETS["macro_f1"],
            "oos_target": row["oos_accepted_share"] <= TARGETS["oos_accepted_share"],
            "in_scope_recall_target": row["in_scope_recall"] >= TARGETS["in_scope_recall"],
            "ahead_of_baselines": all(row["macro_f1"] > f1 for f1 in baseline_f1.values())
            if baseline_f1
            else None,
        }
    print("\nours, as configured, against the targets:")
    for lang, v in verdicts.items():
        row = summary(ours[lang])
        parts = [
            f"macro-F1 {row['macro_f1']:.3f} {'met' if v['macro_f1_target'] else 'MISSED'}",
            f"OOS accepted {row['oos_accepted_share']:.1%} {'met' if v['oos_target'] else 'MISSED'}",
            f"in-scope recall {row['in_scope_recall']:.3f} {'met' if v['in_scope_recall_target'] else 'MISSED'}",
        ]
        if v["ahead_of_baselines"] is not None:
            parts.append(
                "ahead of every baseline row"
                if v["ahead_of_baselines"]
                else "NOT ahead of every baseline row"
            )
        print(f"  {LANGUAGE_NAMES[lang]:<8} " + "; ".join(parts))
    return verdicts


def _quiet_rasa() -> None:
    # Library deprecation notices (TensorFlow, pyparsing, click...) say nothing about the
    # data. Sanic (imported by Rasa) turns DeprecationWarnings back on when imported.
    import sanic  # noqa: F401

    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # Rasa logs every parse at debug level otherwise


def tfidf_predictions(nlu_dir: Path, examples: Sequence[Example]) -> list[Prediction]:
    from tools.baselines import TfidfLogReg, training_examples

    texts, intents = training_examples(nlu_dir)
    model = TfidfLogReg().fit(texts, intents)
    predictions = []
    for example, ranked in zip(examples, model.rank([e.text for e in examples]), strict=True):
        (top, confidence), (_, second) = ranked[0], ranked[1]
        predictions.append(Prediction(example, top, top, confidence, [], second))
    return predictions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="model archive (default: newest in models/)")
    parser.add_argument("--json", type=Path, default=PROJECT_ROOT / "results" / "evaluation.json")
    parser.add_argument(
        "--figures", type=Path, default=None, help="where confusion_<lang>.png go (default: next to --json)"
    )
    parser.add_argument("--skip-baselines", action="store_true", help="only our model (quick)")
    parser.add_argument(
        "--limit",
        type=int,
        default=None,
        help="about N held-out messages per language, evenly spread (smoke tests)",
    )
    parser.add_argument(
        "--retrain-baselines", action="store_true", help="retrain the Rasa default-pipeline baseline"
    )
    parser.add_argument(
        "--skip-conversations", action="store_true", help="do not start the stack for tests/conversations/"
    )
    parser.add_argument(
        "--baseline-cache",
        type=Path,
        default=PROJECT_ROOT / "models" / "baselines",
        help="where the trained default-pipeline baseline is kept",
    )
    args = parser.parse_args(argv)
    figures = args.figures or args.json.parent
    _quiet_rasa()
    try:
        model = args.model or latest_model(PROJECT_ROOT / "models")
    except StackError as error:
        print(error, file=sys.stderr)
        return 2
    if not model.exists():
        print(f"no model at {model}: run `make train` first", file=sys.stderr)
        return 2
    examples = load_heldout(PROJECT_ROOT)
    if args.limit:
        examples = [e for subset in by_language(examples).values() for e in spread(subset, args.limit)]
    # --- issue 11 (tools/evaluate_dialogue.py): the handoff dev sets, parsed in the same pass.
    from tools import evaluate_dialogue  # imports this module: not at the top

    handoff_dev = evaluate_dialogue.load_handoff_dev(PROJECT_ROOT)
    predictions, fallback = asyncio.run(predict(model, examples + handoff_dev))
    predictions, handoff_predictions = predictions[: len(examples)], predictions[len(examples) :]
    # --- end issue 11
    report: dict[str, Any] = {"model": str(model), "targets": TARGETS, "languages": {}}
    ambiguity = fallback.ambiguity if fallback else 0.0
    for language, subset in by_language(predictions).items():
        result = score(subset)
        swept = sweep(subset, ambiguity)
        print_report(language, result, swept)
        labels, matrix = confusion(subset)
        png = figures / f"confusion_{language}.png"
        save_confusion_png(
            labels,
            matrix,
            f"{LANGUAGE_NAMES[language]} held-out ({len(subset)} messages), {model.name}",
            png,
        )
        print(f"confusion matrix: {png}")
        report["languages"][language] = {
            **result,
            "threshold_sweep": {f"{t:.2f}": summary(r) for t, r in swept.items()},
            "confusion_matrix": {"labels": labels, "counts": matrix, "png": str(png)},
        }

    systems = [
        System(
            "ours",
            "ours" if args.model is None else f"ours ({model.name})",
            predictions,
            fallback,
            ambiguity,
            {"model": str(model)},
        )
    ]
    nlu_dir = PROJECT_ROOT / "data" / "nlu"
    if not args.skip_baselines:
        from tools.baselines import rasa_default_config, rasa_default_model

        try:
            baseline_model, train_seconds = rasa_default_model(
                nlu_dir, args.baseline_cache, retrain=args.retrain_baselines
            )
        except RuntimeError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
        default_predictions, default_fallback = asyncio.run(predict(baseline_model, examples))
        systems.append(
            System(
                "rasa_default",
                "rasa init default",
                default_predictions,
                default_fallback,
                default_fallback.ambiguity if default_fallback else 0.0,
                {
                    "model": str(baseline_model),
                    "training_seconds": train_seconds,
                    "config": rasa_default_config(),
                    "entities": {
                        lang: score(subset)["per_entity"]
                        for lang, subset in by_language(default_predictions).items()
                    },
                },
            )
        )
        started = time.monotonic()
        tfidf = tfidf_predictions(nlu_dir, examples)
        systems.append(
            System(
                "tfidf_logreg",
                "tf-idf + logistic regression",
                tfidf,
                None,
                0.0,
                {
                    "description": "word 1-2 + char_wb 2-5 TF-IDF, LogisticRegression(C=10), out_of_scope as a class",
                    "training_seconds": time.monotonic() - started,
                },
            )
        )
    results = {system.key: system.evaluate() for system in systems}
    report["systems"] = results
    report["verdicts"] = print_comparison(results)
    if args.skip_baselines:
        print("(baselines skipped)")
    # --- issue 11 (tools/evaluate_dialogue.py): requests for a person, conversations.
    report["handoff_dev"] = evaluate_dialogue.handoff_report(handoff_predictions)
    evaluate_dialogue.print_handoff_report(report["handoff_dev"])
    if not args.skip_conversations:
        try:
            report["conversations"] = evaluate_dialogue.conversation_report(model)
        except StackError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    # --- end issue 11
    # --- the email triage on the mail corpus (tools/evaluate_mail.py) ---
    from tools.evaluate_mail import evaluate_corpus

    report["mail"] = evaluate_corpus(model)
    # --- end of the email triage ---
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
