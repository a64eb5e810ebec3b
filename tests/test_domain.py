"""Every response exists in French and in English, and every response is used."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def _is_english(variant: dict) -> bool:
    return any(c.get("name") == "language" and c.get("value") == "en" for c in variant.get("condition", []))


def test_every_response_has_a_french_default_and_an_english_variant():
    for name, variants in DOMAIN["responses"].items():
        assert any("condition" not in v for v in variants), f"{name} has no French default"
        assert any(_is_english(v) for v in variants), f"{name} has no English variant"


def test_english_and_french_variants_offer_the_same_buttons():
    for name, variants in DOMAIN["responses"].items():
        payloads = {_is_english(v): [b["payload"] for b in v.get("buttons", [])] for v in variants}
        assert payloads[True] == payloads[False], name


def test_every_response_is_used_by_a_rule_a_story_or_an_action():
    used = "\n".join(
        p.read_text(encoding="utf-8")
        for pattern in ("data/**/*.yml", "actions/*.py")
        for p in ROOT.glob(pattern)
    )
    for name in DOMAIN["responses"]:
        # utter_ask_* are asked by the forms, utter_default by Rasa's core fallback.
        if name.startswith("utter_ask_") or name == "utter_default":
            continue
        assert re.search(rf"\b{name}\b", used), f"{name} is never used"
