"""Mail we never answer automatically (RFC 3834, docs/SECURITY.md "Email triage")."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.triage.automatic import AUTOMATIC_REASONS, automatic_reason, says_automatic
from bot.triage.parse import parse_mail
from bot.triage.parsed import ParsedMail

OWN = frozenset({"soutien@gem-books.com", "noreply-ops@gem-books.com"})
PERSON = "From: Marie Tremblay <marie@exemple.ca>\n"


def parsed(headers: str) -> ParsedMail:
    raw = (headers.strip("\n") + "\nSubject: aide\n\nJ'ai oublié mon mot de passe.\n").encode()
    return parse_mail(raw, max_bytes=1_000_000)


def reason(headers: str, envelope_from: str | None = None) -> str | None:
    return automatic_reason(parsed(headers), own_addresses=OWN, envelope_from=envelope_from)


def test_a_person_writing_to_us_gets_no_reason() -> None:
    assert reason(PERSON + "To: soutien@gem-books.com\nReturn-Path: <marie@exemple.ca>") is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Auto-Submitted: auto-replied", "auto_submitted"),
        ("Auto-Submitted: auto-generated", "auto_submitted"),
        ('Auto-Submitted: Auto-Replied; owner-email="x@exemple.ca"', "auto_submitted"),
        ("Auto-Submitted: auto-notified", "auto_submitted"),
        ("Auto-Submitted: no", None),
        ("Auto-Submitted: NO ; comment", None),
        ("Precedence: bulk", "precedence"),
        ("Precedence: List", "precedence"),
        ("Precedence: junk", "precedence"),
        ("Precedence: auto_reply", "precedence"),
        ("Precedence: first-class", None),
        ("List-Id: Infolettre <infolettre.exemple.ca>", "list"),
        ("List-Unsubscribe: <mailto:desabonnement@exemple.ca>", "list"),
        ("List-Post: NO", "list"),
        ("X-Loop: helpdesk@exemple.com", "x_loop"),
        ("X-Auto-Response-Suppress: All", "auto_response_suppress"),
        ("X-Auto-Response-Suppress: DR, RN, NRN, OOF", "auto_response_suppress"),
        ("X-Auto-Response-Suppress: autoreply", "auto_response_suppress"),
        ("X-Auto-Response-Suppress: DR, RN, NRN", None),
        ("X-Autoreply: yes", "autoreply_header"),
        ("X-Autorespond: vacation", "autoreply_header"),
        ("X-Auto-Reply: 1", "autoreply_header"),
        ("Return-Path: <>", "empty_return_path"),
        ("Return-Path: < >", "empty_return_path"),
        ("Return-Path: <marie@exemple.ca>", None),
        ('Content-Type: multipart/report; report-type=delivery-status; boundary="b"', "bounce"),
    ],
)
def test_each_header_check(header: str, expected: str | None) -> None:
    assert reason(PERSON + header) == expected


def test_checks_come_in_order() -> None:
    everything = (
        "From: MAILER-DAEMON@exemple.ca\nAuto-Submitted: auto-replied\nPrecedence: bulk\nList-Id: <l.exemple.ca>\n"
        "X-Loop: x\nX-Auto-Response-Suppress: All\nX-Autoreply: yes\nReturn-Path: <>"
    )
    expected = [
        "auto_submitted",
        "precedence",
        "list",
        "x_loop",
        "auto_response_suppress",
        "autoreply_header",
        "empty_return_path",
        "system_sender",
    ]
    lines = everything.split("\n")
    found = []
    # Drop the winning header each round: the next check in the order must take over.
    while lines:
        code = reason("\n".join(lines))
        found.append(code)
        drop = {
            "auto_submitted": "Auto-Submitted",
            "precedence": "Precedence",
            "list": "List-Id",
            "x_loop": "X-Loop",
            "auto_response_suppress": "X-Auto-Response-Suppress",
            "autoreply_header": "X-Autoreply",
            "empty_return_path": "Return-Path",
            "system_sender": "From",
        }[code]
        lines = [line for line in lines if not line.startswith(drop)]
    assert found == expected


def test_an_smtp_null_sender_is_an_empty_return_path() -> None:
    assert reason(PERSON, envelope_from="") == "empty_return_path"
    assert reason(PERSON, envelope_from=None) is None
    assert reason(PERSON, envelope_from="marie@exemple.ca") is None


def test_a_delivery_status_part_is_a_bounce_even_without_multipart_report() -> None:
    headers = PERSON + 'Content-Type: multipart/mixed; boundary="b"'
    raw = (
        headers + "\nSubject: x\n\n--b\nContent-Type: text/plain\n\nNon remis\n"
        "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.exemple.ca\n\n"
        "Final-Recipient: rfc822; x@exemple.ca\nAction: failed\n--b--\n"
    ).encode()
    mail = parse_mail(raw, max_bytes=1_000_000)
    assert automatic_reason(mail, own_addresses=OWN) == "bounce"


@pytest.mark.parametrize(
    "address",
    [
        "MAILER-DAEMON@mx.exemple.ca",
        "mailer-daemon@exemple.ca",
        "postmaster@exemple.ca",
        "no-reply@exemple.com",
        "noreply@exemple.com",
        "NoReply@exemple.com",
        "no_reply@exemple.com",
        "donotreply@exemple.com",
        "do-not-reply@exemple.com",
        "do_not_reply@exemple.com",
        "bounce@exemple.com",
        "bounces+abc=x@exemple.com",
        "no-reply+foo@exemple.com",
        "noreply-billing@exemple.com",
        "notifications@exemple.com",
        "notification@exemple.com",
    ],
)
def test_system_senders(address: str) -> None:
    assert reason(f"From: Robot <{address}>") == "system_sender"
    assert reason(PERSON + f"Reply-To: {address}") == "system_sender"


@pytest.mark.parametrize(
    "address",
    [
        "marie.noreply@exemple.ca",
        "postmasters-guild@exemple.ca",
        "info@exemple.ca",
        "bouncer@exemple.ca",
        "reply@exemple.ca",
        "mailer@exemple.ca",
        "notify-me@exemple.ca",
    ],
)
def test_people_whose_address_only_contains_a_system_word(address: str) -> None:
    assert reason(f"From: {address}") is None


def test_own_addresses_case_insensitive_in_from_or_reply_to() -> None:
    assert reason("From: Soutien <Soutien@GEM-Books.com>") == "own_address"
    assert reason(PERSON + "Reply-To: soutien@gem-books.com") == "own_address"
    assert automatic_reason(parsed(PERSON), own_addresses={"MARIE@EXEMPLE.CA"}) == "own_address"
    # a no-reply address of ours is a system sender first
    assert reason("From: noreply-ops@gem-books.com") == "system_sender"


@pytest.mark.parametrize("headers", ["To: soutien@gem-books.com", "From: garbage", "From: <>\nReply-To: ,,,"])
def test_no_usable_sender(headers: str) -> None:
    assert reason(headers) == "no_sender"


def test_reply_to_is_enough_without_from() -> None:
    assert reason("Reply-To: marie@exemple.ca") is None


def test_labels_exist_for_every_code_in_both_languages() -> None:
    assert list(AUTOMATIC_REASONS) == [
        "auto_submitted",
        "precedence",
        "list",
        "x_loop",
        "auto_response_suppress",
        "autoreply_header",
        "empty_return_path",
        "bounce",
        "system_sender",
        "own_address",
        "bad_sender",
        "no_sender",
        "automatic_text",
    ]
    for code, labels in AUTOMATIC_REASONS.items():
        assert set(labels) == {"fr", "en"}, code
        assert labels["fr"] and labels["en"] and labels["fr"] != labels["en"], code
    assert AUTOMATIC_REASONS["auto_submitted"]["fr"] == "Réponse automatique (Auto-Submitted)"


# --- French automatic mail (issue 16, item 5), on real mail files -------------------------
CORPUS = Path(__file__).parents[2] / "data" / "mail"


def corpus_reason(name: str) -> str | None:
    mail = parse_mail((CORPUS / name).read_bytes(), max_bytes=10_000_000)
    return automatic_reason(mail, own_addresses=OWN)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("auto_ne_pas_repondre_fr.eml", "system_sender"),  # ne-pas-repondre@, mentions a password
        ("auto_no_underscore_reply_en.eml", "system_sender"),
        ("auto_text_message_automatique_fr.eml", "automatic_text"),  # "merci de ne pas y répondre"
        ("auto_text_do_not_reply_en.eml", "automatic_text"),
        # A person who forwards such a notice with a question of their own is a person.
        ("fwd_of_automatic_notice_fr.eml", None),
    ],
)
def test_french_and_english_automatic_mail_by_address_and_text(name: str, expected: str | None) -> None:
    assert corpus_reason(name) == expected


@pytest.mark.parametrize(
    "local",
    [
        "ne-pas-repondre",
        "nepasrepondre",
        "ne_pas_repondre",
        "ne.pas.repondre",
        "no_reply",
        "NoReply",
        "pas-de-reponse",
        "ne-repondez-pas+factures",
    ],
)
def test_french_and_english_no_reply_addresses(local: str) -> None:
    assert reason(f"From: Avis <{local}@exemple.ca>") == "system_sender"


def test_a_no_reply_display_name() -> None:
    assert reason("From: Ne pas répondre <info@exemple.ca>") == "system_sender"


@pytest.mark.parametrize(
    ("text", "automatic"),
    [
        ("Ceci est un message automatique, merci de ne pas y répondre.", True),
        ("Courriel automatique – veuillez ne pas répondre à ce message.", True),
        ("Ne répondez pas à ce courriel.", True),
        ("This mailbox is not monitored. Replies to this email will not be read.", True),
        ("Please do not reply to this email.", True),
        ("J'ai reçu un courriel qui dit « merci de ne pas y répondre », mais j'ai oublié mon code.", False),
        ("I got a mail saying please do not reply to this email, and my password fails.", False),
        ("Merci de votre aide, je ne sais pas quoi répondre à mon client.", False),
    ],
)
def test_mail_that_says_it_is_automatic(text: str, automatic: bool) -> None:
    assert says_automatic(text) is automatic
