"""Every mail of tests/data/mail/corpus.yml parses to what the corpus says.

Topic and language are checked against the real Rasa model elsewhere; here: malformed,
automatic, attachments and the text the classifier would read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.triage.automatic import AUTOMATIC_REASONS, automatic_reason
from bot.triage.parse import parse_mail
from bot.triage.parsed import MalformedMail
from bot.triage.quotes import classification_text

CORPUS = Path(__file__).parents[2] / "data" / "mail"
ENTRIES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "corpus.yml").read_text(encoding="utf-8"))["mails"]
OWN = frozenset({"soutien@gem-books.com"})
TOPICS = {
    "login_problem",
    "forgot_password",
    "forgot_user_code",
    "browser_recommendation",
    "clear_browser_data",
    "reset_email_missing",
    "bookmark_help",
    "still_not_working",
    "out_of_scope",
    None,
}


def test_the_corpus_lists_every_file_once() -> None:
    listed = [entry["file"] for entry in ENTRIES]
    assert len(listed) == len(set(listed))
    assert sorted(listed) == sorted(path.name for path in CORPUS.glob("*.eml"))


def test_the_corpus_is_big_enough_and_half_french_a_third_of_it_quebec() -> None:
    varieties = [entry["variety"] for entry in ENTRIES]
    french = sum(variety in ("fr", "fr-qc") for variety in varieties)
    assert len(ENTRIES) >= 120
    assert french * 2 >= len(ENTRIES)
    assert varieties.count("fr-qc") * 3 >= french
    heldout = sum(entry["split"] == "heldout" for entry in ENTRIES)
    assert len(ENTRIES) // 5 <= heldout <= len(ENTRIES) // 2


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry["file"] for entry in ENTRIES])
def test_corpus_entry_is_well_formed(entry: dict[str, Any]) -> None:
    expect = entry["expect"]
    assert entry["kind"]
    assert entry["split"] in ("dev", "heldout")
    assert entry["variety"] in ("fr", "fr-qc", "en")
    assert set(expect) == {
        "language",
        "automatic",
        "malformed",
        "topic",
        "decision",
        "text_contains",
        "text_excludes",
        "attachments",
    }
    assert expect["decision"] in ("auto_reply", "ticket", "filed")
    assert (expect["decision"] == "filed") >= bool(expect["automatic"])  # automatic mail is only filed
    assert expect["language"] in ("fr", "en", None)
    assert expect["automatic"] in (*AUTOMATIC_REASONS, None)
    assert expect["topic"] in TOPICS
    if expect["topic"] is not None:  # a topic the model must find needs a language to find it in
        assert expect["language"] is not None


@pytest.mark.parametrize("entry", ENTRIES, ids=[entry["file"] for entry in ENTRIES])
def test_corpus_mail(entry: dict[str, Any]) -> None:
    expect = entry["expect"]
    raw = (CORPUS / entry["file"]).read_bytes()
    if expect["malformed"]:
        with pytest.raises(MalformedMail) as caught:
            parse_mail(raw, max_bytes=10 * 1024 * 1024)
        assert caught.value.reason == expect["malformed"]
        return
    mail = parse_mail(raw, max_bytes=10 * 1024 * 1024)
    assert automatic_reason(mail, own_addresses=OWN) == expect["automatic"]
    assert [attachment.content_type for attachment in mail.attachments] == expect["attachments"]
    text = classification_text(mail)
    for wanted in expect["text_contains"]:
        assert wanted in text
    for unwanted in expect["text_excludes"]:
        assert unwanted not in text
    assert mail.message_id.startswith("<") and mail.message_id.endswith(">")


def load(name: str) -> Any:
    return parse_mail((CORPUS / name).read_bytes(), max_bytes=10 * 1024 * 1024)


def test_corpus_headers_that_the_loop_relies_on() -> None:
    reply = load("reply_to_auto_answer_qc.eml")
    assert reply.in_reply_to == ("<triage-1@gem-books.com>",)
    assert reply.references == ("<CAF1q2w3e4r5t@mail.exemple.ca>", "<triage-1@gem-books.com>")
    assert reply.from_address == "ginette.lavoie@exemple.ca"

    no_id = load("reset_email_missing_en.eml")
    assert no_id.message_id.endswith("@no-message-id.invalid>")

    garbage = load("broken_folded_garbage_fr.eml")
    assert garbage.date is None
    assert garbage.from_address == "helene.roy@exemple.ca"
    assert garbage.from_name == "Hélène Roy"
    assert garbage.to == ("soutien@gem-books.com",)

    bounce = load("bounce_dsn.eml")
    assert bounce.from_address == "mailer-daemon@mail.exemple.ca"

    encoded = load("subject_encoded_q_fr.eml")
    assert (encoded.subject, encoded.from_name, encoded.text) == ("Mot de passe oublié", "Valérie Simard", "")

    assert load("broken_no_blank_line_fr.eml").defects == ("MissingHeaderBodySeparatorDefect",)
    assert "CharsetMismatchDefect" in load("charset_latin1_as_utf8_fr.eml").defects
    assert "UnknownCharsetDefect" in load("charset_unknown_fr.eml").defects
    assert load("forwarded_rfc822_qc.eml").attachments[0].filename == "Message de Karine.eml"
