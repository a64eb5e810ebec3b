"""The Rasa domain (``domain.yml``) as the hub reads it: intents and response texts.

Usage::

    domain = load_domain()                        # read once, then cached
    domain.intents                                # ("greet", "goodbye", ...), in the file's order
    domain.text("utter_step_restart", "en")       # the English variant's text
    step_instruction("utter_step_restart", "fr")  # "Fermez complètement votre navigateur ..."

``domain.yml`` is the one home of what the assistant says and of its intents. The email
triage builds its answers' article-1103 steps from the chat's steps (bot/triage/answers.py)
and the console offers the domain's intents for corrections (bot/console/pages.py),
instead of each keeping a copy.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from pathlib import Path
from typing import Any

import yaml

from bot.settings import PROJECT_ROOT

__all__ = ["DOMAIN_FILE", "Domain", "load_domain", "step_instruction"]

DOMAIN_FILE = PROJECT_ROOT / "domain.yml"

# "Étape 3 — " / "Step 3 — " in front of a chat step, and the question after it.
_STEP_NUMBER = re.compile(r"^(?:Étape|Step)\s+\d+\s+—\s+")


@dataclasses.dataclass(frozen=True)
class Domain:
    intents: tuple[str, ...]
    responses: dict[str, list[dict[str, Any]]]

    def text(self, response: str, language: str) -> str:
        """The text of ``response`` in ``language`` (the English variant, or the French default)."""
        variants = self.responses.get(response)
        if not variants:
            raise KeyError(f"domain.yml has no response {response!r}")
        for variant in variants:
            conditions = variant.get("condition") or []
            english = any(c.get("name") == "language" and c.get("value") == "en" for c in conditions)
            if english == (language == "en"):
                return str(variant["text"])
        raise KeyError(f"{response} has no {language} variant in domain.yml")


@functools.lru_cache(maxsize=4)
def load_domain(path: Path = DOMAIN_FILE) -> Domain:
    """``domain.yml``, read once (a missing or malformed file fails here, at start)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    intents = tuple(
        str(i) if not isinstance(i, dict) else str(next(iter(i))) for i in data.get("intents") or []
    )
    return Domain(intents=intents, responses=dict(data.get("responses") or {}))


def step_instruction(response: str, language: str, domain: Domain | None = None) -> str:
    """What a chat step asks the person to do, without its number and its closing question
    ("Did that work?"): the same instruction, for a mail that lists the steps."""
    text = (domain or load_domain()).text(response, language)
    body, _, _question = text.rpartition("\n")
    return _STEP_NUMBER.sub("", (body or text).strip())
