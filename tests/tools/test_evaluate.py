"""`python -m tools.evaluate`: the scoring rules, the confusion matrix, the baselines' pieces,
and that the command runs and writes its report (no figures are asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tools.evaluate import (
    SWEEP,
    Example,
    Fallback,
    Prediction,
    choose_threshold,
    confusion,
    intent_label,
    save_confusion_png,
    score,
    spread,
)

ROOT = Path(__file__).resolve().parents[2]


def prediction(
    gold: str, top: str, confidence: float, second: float = 0.0, intent: str | None = None
) -> Prediction:
    example = Example(f"text for {gold}", gold, "fr")
    return Prediction(example, intent or top, top, confidence, [], second)


def test_a_fallback_counts_as_rejecting_the_message() -> None:
    assert intent_label(prediction("out_of_scope", "greet", 0.9, intent="nlu_fallback")) == "out_of_scope"
    assert intent_label(prediction("greet", "greet", 0.9)) == "greet"


def test_the_sweep_applies_the_threshold_and_the_ambiguity_like_rasa() -> None:
    p = prediction("greet", "greet", 0.50, second=0.47)
    assert intent_label(p, 0.4) == "greet"
    assert intent_label(p, Fallback(0.4, 0.05)) == "out_of_scope"  # top two 0.03 apart
    assert intent_label(p, Fallback(0.6, 0.0)) == "out_of_scope"


def test_score_counts_out_of_scope_acceptance_and_in_scope_recall() -> None:
    predictions = [
        prediction("greet", "greet", 0.9),
        prediction("greet", "thank", 0.9),
        prediction("out_of_scope", "greet", 0.9),
        prediction("out_of_scope", "out_of_scope", 0.9),
    ]
    result = score(predictions)
    assert result["oos_accepted_share"] == 0.5
    assert result["in_scope_recall"] == 0.5
    assert result["per_intent"]["greet"]["precision"] == 0.5


def test_the_threshold_rule_prefers_thresholds_within_the_targets() -> None:
    good = {"macro_f1": 0.96, "oos_accepted_share": 0.02, "in_scope_recall": 0.97}
    better_but_leaky = {"macro_f1": 0.99, "oos_accepted_share": 0.20, "in_scope_recall": 0.99}
    sweeps = {lang: {t: (good if t == 0.5 else better_but_leaky) for t in SWEEP} for lang in ("fr", "en")}
    assert choose_threshold(sweeps) == 0.5


def test_the_confusion_matrix_is_saved_as_a_png(tmp_path: Path) -> None:
    labels, matrix = confusion([prediction("greet", "greet", 0.9), prediction("out_of_scope", "greet", 0.9)])
    assert labels == ["greet", "out_of_scope"]
    assert matrix == [[1, 0], [1, 0]]
    path = tmp_path / "confusion.png"
    save_confusion_png(labels, matrix, "test", path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_spread_keeps_examples_from_the_whole_list() -> None:
    assert spread(list(range(100)), 10) == list(range(0, 100, 10))
    assert spread([1, 2], 10) == [1, 2]


def test_the_rasa_default_baseline_is_what_rasa_init_trains_with_a_seed() -> None:
    from tools.baselines import rasa_default_config

    config = rasa_default_config()
    names = [c["name"] for c in config["pipeline"]]
    assert names[0] == "WhitespaceTokenizer" and "DIETClassifier" in names
    assert config["language"] == "en"
    diet = next(c for c in config["pipeline"] if c["name"] == "DIETClassifier")
    assert diet["epochs"] == 100 and diet["random_seed"]
    fallback = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
    assert (fallback["threshold"], fallback["ambiguity_threshold"]) == (0.3, 0.1)


def test_the_tfidf_baseline_ranks_intents() -> None:
    from tools.baselines import TfidfLogReg

    texts = [
        "mot de passe oublié",
        "j'ai oublié mon mot de passe",
        "bonjour",
        "salut",
        "météo demain",
        "quel temps",
    ]
    intents = ["forgot_password", "forgot_password", "greet", "greet", "out_of_scope", "out_of_scope"]
    ranked = TfidfLogReg().fit(texts, intents).rank(["oublié mon mot de passe"])[0]
    assert ranked[0][0] == "forgot_password"
    assert abs(sum(p for _, p in ranked) - 1) < 1e-6


@pytest.mark.skipif(not (ROOT / "models" / "gem-books.tar.gz").exists(), reason="no trained model")
def test_the_command_runs_and_writes_its_report(tmp_path: Path) -> None:
    out = tmp_path / "evaluation.json"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONWARNINGS": "ignore"}
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.evaluate",
            "--skip-baselines",
            "--skip-conversations",
            "--limit",
            "40",
            "--json",
            str(out),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "macro-F1" in completed.stdout and "Comparison" in completed.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report["languages"]) == {"fr", "en"}
    assert "ours" in report["systems"]
    assert {"request_human_recall", "person_offered_share"} <= set(report["handoff_dev"]["fr"])
    for language in ("fr", "en"):
        assert (tmp_path / f"confusion_{language}.png").stat().st_size > 0
