"""The examples of the NLU training files (``data/nlu/``), to know which reviewed
messages the model has not learnt yet.

Usage::

    known = training_examples(Path("data/nlu"))     # {normalized text: {intent, ...}}
    normalize("Mot  de passe OUBLIÉ")               # "mot de passe oublié"

The files are Rasa YAML (``nlu: - intent: x, examples: |``); entity annotations
(``[Chrome](browser)``, ``[x]{"entity": ...}``) are read as their text. The result is
cached until a file changes, so the review page does not parse the files on every view.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

__all__ = ["normalize", "training_examples"]

_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")
_cache: dict[str, tuple[tuple[tuple[str, float], ...], dict[str, set[str]]]] = {}


def normalize(text: str) -> str:
    """The form two examples are compared in: annotations read as text, case and spacing ignored."""
    return " ".join(_ANNOTATION.sub(r"\1", text).casefold().split())


def _examples_of(path: Path) -> list[tuple[str, str]]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return []
    found = []
    for block in (data or {}).get("nlu") or [] if isinstance(data, dict) else []:
        if not isinstance(block, dict) or not isinstance(block.get("intent"), str):
            continue
        examples = block.get("examples")
        if not isinstance(examples, str):
            continue
        for line in examples.splitlines():
            line = line.strip()
            if line.startswith("- "):
                found.append((block["intent"], line[2:]))
    return found


def training_examples(directory: Path) -> dict[str, set[str]]:
    """Every example's normalized text in ``directory`` (recursively), with its intents."""
    files = sorted(directory.rglob("*.yml")) if directory.is_dir() else []
    signature = tuple((str(path), path.stat().st_mtime) for path in files)
    cached = _cache.get(str(directory))
    if cached is not None and cached[0] == signature:
        return cached[1]
    known: dict[str, set[str]] = {}
    for path in files:
        for intent, text in _examples_of(path):
            known.setdefault(normalize(text), set()).add(intent)
    _cache[str(directory)] = (signature, known)
    return known
