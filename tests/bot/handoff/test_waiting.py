"""What a person waiting for support is told: every text in both languages, asked sparingly."""

from __future__ import annotations

import pytest

from bot.handoff.waiting import ASK_EVERY, TEXTS, WaitingState, waiting_reply
from bot.mail.addresses import find_email


def test_every_text_exists_in_french_and_english() -> None:
    for key, texts in TEXTS.items():
        assert set(texts) == {"fr", "en"}, key
        assert texts["fr"] != texts["en"], key
    assert "courriel" in TEXTS["ask"]["fr"] and "email" in TEXTS["ask"]["en"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("c'est Marie.Gagnon@Exemple.CA merci", "marie.gagnon@exemple.ca"),
        ("my email: bob@example.net.", "bob@example.net"),
        ("écrivez-moi à <julie@example.com>", "julie@example.com"),
        ("marie@exemple", None),
        ("@marie", None),
        ("a@b.c", None),
        ("rien ici", None),
    ],
)
def test_the_address_in_a_message_is_found_and_lower_cased(text: str, found: str | None) -> None:
    assert find_email(text) == found


def test_the_first_message_is_kept_and_asks_for_the_address_then_not_on_every_line() -> None:
    asked = [
        "adresse courriel" in waiting_reply("fr", WaitingState(contact=None, written=n, typed_at=False))
        for n in range(1, 8)
    ]
    assert asked == [True, False, False, True, False, False, True]
    assert ASK_EVERY == 3
    for n in range(1, 8):
        reply = waiting_reply("fr", WaitingState(contact=None, written=n, typed_at=False))
        assert reply.startswith("Votre message est gardé pour l'équipe de soutien")


def test_an_address_that_looks_mistyped_gets_a_question_at_once() -> None:
    reply = waiting_reply("en", WaitingState(contact=None, written=2, typed_at=True))
    assert "looks incomplete" in reply and reply.startswith("Your message is kept")


def test_a_given_address_is_confirmed_masked_with_what_happens_next() -> None:
    state = WaitingState(contact="marie.gagnon@exemple.ca", written=3, typed_at=False, given=True)
    french, english = waiting_reply("fr", state), waiting_reply("en", state)
    assert "m***@exemple.ca" in french and "marie.gagnon" not in french
    assert "vous écrira à m***@exemple.ca" in french
    assert "will write to you at m***@exemple.ca" in english


def test_a_known_address_is_recalled_now_and_then_never_in_full() -> None:
    first = waiting_reply("fr", WaitingState(contact="bob@example.net", written=1, typed_at=False))
    second = waiting_reply("fr", WaitingState(contact="bob@example.net", written=2, typed_at=False))
    assert "b***@example.net" in first and "bob@" not in first
    assert "@" not in second
