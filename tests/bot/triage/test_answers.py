"""Automatic answers and drafts: both languages, the article's content, safe HTML."""

from __future__ import annotations

import pytest

from bot.triage.answers import ANSWERABLE, Links, answer_text, draft_text, greeting_name, text_to_html
from bot.triage.service import reply_subject

LINKS = Links(
    "https://hub.example/forgot-password", "https://hub.example/forgot-user-code", "soutien@gem-books.com"
)


@pytest.mark.parametrize("topic", sorted(ANSWERABLE))
@pytest.mark.parametrize(
    ("language", "hello", "still"), [("fr", "Bonjour", "répondez"), ("en", "Hello", "reply")]
)
def test_every_standalone_answer_exists_in_both_languages(
    topic: str, language: str, hello: str, still: str
) -> None:
    text = answer_text(topic, language, LINKS)
    assert text is not None
    assert text.startswith(f"{hello},")
    assert still in text  # says how to reach a person
    assert "#1103" in text


def test_the_login_answer_teaches_the_article_steps_in_order() -> None:
    text = answer_text("login_problem", "fr", LINKS, name="Julie")
    assert text is not None and text.startswith("Bonjour Julie,")
    positions = [
        text.index(part)
        for part in (
            "https://www.gem-books.com",
            "Google Chrome ou Mozilla Firefox",
            "Videz les données",
            "redémarrez",
        )
    ]
    assert positions == sorted(positions)
    assert "SAUF « Mots de passe et autres données de connexion »" in text  # domain.yml's words


def test_the_password_answer_links_the_reset_and_user_code_pages() -> None:
    for language in ("fr", "en"):
        text = answer_text("forgot_password", language, LINKS)
        assert text is not None
        assert LINKS.password_reset_url in text and LINKS.user_code_url in text


def test_topics_without_a_standalone_answer_get_a_draft_only() -> None:
    assert answer_text("out_of_scope", "fr", LINKS) is None
    assert answer_text(None, "en", LINKS) is None
    assert "navigateur" in draft_text("still_not_working", "fr", LINKS)
    assert "spam" in draft_text("reset_email_missing", "en", LINKS)
    assert draft_text("out_of_scope", "en", LINKS).endswith("The GEM-BOOKS support team")


def test_html_is_escaped_text_with_only_http_links() -> None:
    html = text_to_html(
        '<script>alert(1)</script>\n\nvoir https://www.gem-books.com. et javascript:alert(1) "x"'
    )
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="https://www.gem-books.com">https://www.gem-books.com</a>.' in html
    assert 'href="javascript' not in html
    assert html.count("<p>") == 2


@pytest.mark.parametrize(
    ("display", "expected"),
    [
        ("Julie Tremblay", "Julie"),
        ("", ""),
        ("julie@exemple.ca", ""),
        ("<script>", ""),
        ('"Tremblay, Julie"', "Tremblay"),
        ("=?utf-8?q?x?=", ""),
        ("Marie-Ève Côté", "Marie-Ève"),
    ],
)
def test_the_greeting_uses_a_plausible_first_name_only(display: str, expected: str) -> None:
    assert greeting_name(display) == expected


def test_reply_subjects_are_one_line_and_prefixed_once() -> None:
    assert reply_subject("Mot de passe", "fr") == "Re: Mot de passe"
    assert reply_subject("RE: Mot de passe", "fr") == "RE: Mot de passe"
    assert reply_subject("a\r\nBcc: x@y.z", "en") == "Re: a Bcc: x@y.z"
    assert reply_subject("", "en") == "Your request to GEM-BOOKS support"
    assert reply_subject("", "fr") == "Votre demande au soutien GEM-BOOKS"
