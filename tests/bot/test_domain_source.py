"""domain.yml is the one home of article 1103's steps and of the intents: the mail answers
and the console read it (bot.domain) instead of keeping copies."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain import load_domain, step_instruction
from bot.triage.answers import ANSWERABLE, Links, _bodies, answer_text

LINKS = Links(
    "https://hub.example/forgot-password", "https://hub.example/forgot-user-code", "soutien@gem-books.com"
)
STEPS = ("utter_step_main_site", "utter_step_browsers", "utter_step_clear_data_other", "utter_step_restart")


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_login_answer_by_mail_is_the_chats_four_steps_in_order(language: str) -> None:
    domain = load_domain()
    text = answer_text("login_problem", language, LINKS, name="Julie")
    assert text is not None
    positions = []
    for number, step in enumerate(STEPS, start=1):
        chat = domain.text(step, language)
        instruction = step_instruction(step, language)
        # The chat's words, without its "Étape N — " and its "Est-ce que ça a fonctionné?".
        assert instruction in chat and len(instruction) > 100
        assert "Did that work?" not in instruction and "Est-ce que ça a fonctionné?" not in instruction
        positions.append(text.index(f"{number}. {instruction}"))
    assert positions == sorted(positions)
    # The mail keeps its own greeting and closing.
    assert text.startswith("Bonjour Julie," if language == "fr" else "Hello Julie,")
    assert "#1103" in text


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_mail_that_teaches_a_step_uses_the_chats_words(language: str) -> None:
    restart = step_instruction("utter_step_restart", language)
    clear = step_instruction("utter_step_clear_data_other", language)
    for topic in ("browser_recommendation", "clear_browser_data"):
        text = answer_text(topic, language, LINKS)
        assert text is not None and clear in text and restart in text
    bookmark = answer_text("bookmark_help", language, LINKS)
    assert bookmark is not None and step_instruction("utter_step_main_site", language) in bookmark


def test_the_answerable_topics_are_the_answers_written() -> None:
    for language in ("fr", "en"):
        assert set(_bodies(language, LINKS)) == ANSWERABLE


def test_the_domain_is_read_from_its_file(tmp_path: Path) -> None:
    domain_file = tmp_path / "domain.yml"
    domain_file.write_text(
        "intents:\n  - greet\n  - out_of_scope: {use_entities: []}\nresponses:\n"
        '  utter_step_x:\n    - text: "Étape 9 — Faites ceci.\\nEst-ce que ça a fonctionné?"\n'
        '    - condition: [{type: slot, name: language, value: en}]\n      text: "Step 9 — Do this.\\nDid that work?"\n',
        encoding="utf-8",
    )
    domain = load_domain(domain_file)
    assert domain.intents == ("greet", "out_of_scope")
    assert step_instruction("utter_step_x", "fr", domain) == "Faites ceci."
    assert step_instruction("utter_step_x", "en", domain) == "Do this."
    with pytest.raises(KeyError, match="utter_nothing"):
        domain.text("utter_nothing", "fr")
