"""The two baselines `tools.evaluate` compares our NLU with, on the same held-out data.

- **Rasa's default pipeline**: the pipeline `rasa init` gives a new project in Rasa 3.6
  (read from the installed Rasa, ``rasa/engine/recipes/config_files/default_config.yml``:
  whitespace tokens, regex and lexical features, word and char_wb 1-4 count vectors,
  DIET 100 epochs, synonyms, ResponseSelector, FallbackClassifier 0.3 / 0.1; language
  ``en``), with a fixed random seed, trained NLU-only on ``data/nlu``. Training takes a
  while on two cores, so the model is cached in ``models/baselines/`` under a hash of
  ``data/nlu``, the config and the Rasa version.
- **TF-IDF + logistic regression** (scikit-learn): word 1-2-grams and char_wb 2-5-grams,
  one multinomial logistic regression over every intent, ``out_of_scope`` included, on
  the plain texts of ``data/nlu`` (entity markup stripped by Rasa's own loader). Below a
  probability threshold it falls back, like the assistant.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "RASA_DEFAULT_SEED",
    "TfidfLogReg",
    "rasa_default_config",
    "rasa_default_model",
    "training_examples",
]

RASA_DEFAULT_SEED = 1103
_SEEDED = ("DIETClassifier", "ResponseSelector")


def rasa_default_config() -> dict[str, Any]:
    """The config `rasa init` trains with in the installed Rasa, NLU only, seeded."""
    import rasa
    import yaml

    path = Path(rasa.__file__).parent / "engine" / "recipes" / "config_files" / "default_config.yml"
    default = yaml.safe_load(path.read_text(encoding="utf-8"))
    pipeline = []
    for component in default["pipeline"]:
        component = dict(component)
        if component["name"] in _SEEDED:
            component["random_seed"] = RASA_DEFAULT_SEED
        pipeline.append(component)
    return {
        "recipe": default["recipe"],
        "assistant_id": "baseline-rasa-init-default",
        "language": default["language"],
        "pipeline": pipeline,
        # NLU-only training ignores policies; an empty list keeps Rasa from filling them in.
        "policies": [],
    }


def _hash_inputs(nlu_dir: Path, config_text: str) -> str:
    import rasa

    digest = hashlib.sha256()
    digest.update(f"rasa {rasa.__version__}\n".encode())
    digest.update(config_text.encode("utf-8"))
    for path in sorted(p for p in nlu_dir.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(nlu_dir)).encode("utf-8") + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _rasa_executable() -> str:
    candidate = Path(sys.executable).parent / "rasa"
    return str(candidate) if candidate.exists() else "rasa"


def rasa_default_model(
    nlu_dir: Path,
    cache_dir: Path,
    *,
    retrain: bool = False,
    log: Callable[[str], None] = print,
) -> tuple[Path, float | None]:
    """The trained default-pipeline model for ``nlu_dir``: (archive, training seconds).

    Training seconds is None when the cached model was used.
    """
    import yaml

    config_text = yaml.safe_dump(rasa_default_config(), sort_keys=False, allow_unicode=True)
    key = _hash_inputs(nlu_dir, config_text)
    cache_dir.mkdir(parents=True, exist_ok=True)
    cached = cache_dir / f"rasa-default-{key}.tar.gz"
    if cached.exists() and not retrain:
        return cached, None
    log(
        f"training the Rasa default-pipeline baseline on {nlu_dir.name}/ (once per data change; "
        f"about 20 minutes on two cores; cached as {cached})"
    )
    with tempfile.TemporaryDirectory(prefix="gem-baseline-") as tmp:
        config = Path(tmp) / "config.yml"
        config.write_text(config_text, encoding="utf-8")
        log_path = cache_dir / f"rasa-default-{key}.train.log"
        started = time.monotonic()
        with open(log_path, "wb") as log_file:
            result = subprocess.run(
                [
                    _rasa_executable(),
                    "train",
                    "nlu",
                    "--config",
                    str(config),
                    "--nlu",
                    str(nlu_dir),
                    "--out",
                    tmp,
                    "--fixed-model-name",
                    "rasa-default",
                ],
                cwd=tmp,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        seconds = time.monotonic() - started
        trained = Path(tmp) / "rasa-default.tar.gz"
        if result.returncode != 0 or not trained.exists():
            raise RuntimeError(f"training the default-pipeline baseline failed; see {log_path}")
        shutil.move(str(trained), cached)
    (cache_dir / f"rasa-default-{key}.config.yml").write_text(config_text, encoding="utf-8")
    return cached, seconds


def training_examples(nlu_dir: Path) -> tuple[list[str], list[str]]:
    """(texts, intents) of every training example, entity markup stripped."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(nlu_dir))
    texts, intents = [], []
    for message in data.intent_examples:
        texts.append(message.get("text"))
        intents.append(message.get("intent"))
    return texts, intents


class TfidfLogReg:
    """Word + character TF-IDF features and a logistic regression over all intents."""

    def __init__(self, c: float = 10.0, seed: int = RASA_DEFAULT_SEED) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion, make_pipeline

        features = FeatureUnion(
            [
                ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)),
                (
                    "chars",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
                ),
            ]
        )
        self.model = make_pipeline(features, LogisticRegression(C=c, max_iter=5000, random_state=seed))

    def fit(self, texts: Sequence[str], intents: Sequence[str]) -> TfidfLogReg:
        self.model.fit(list(texts), list(intents))
        return self

    def rank(self, texts: Sequence[str]) -> list[list[tuple[str, float]]]:
        """For each text, (intent, probability) best first."""
        classes = list(self.model.classes_)
        ranked = []
        for row in self.model.predict_proba(list(texts)):
            ranked.append(sorted(zip(classes, (float(p) for p in row), strict=True), key=lambda x: -x[1]))
        return ranked
