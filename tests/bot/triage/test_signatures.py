"""Business signatures and legal notices without "-- " (issue 16, item 1), on real mail files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.triage.parse import parse_mail
from bot.triage.quotes import classification_text
from bot.triage.signatures import strip_signature_block

CORPUS = Path(__file__).parents[2] / "data" / "mail"


def text_of(name: str) -> str:
    return classification_text(parse_mail((CORPUS / name).read_bytes(), max_bytes=10_000_000))


@pytest.mark.parametrize(
    ("name", "asked", "gone"),
    [
        (
            "sig_disclaimer_login_fr.eml",
            "Je n'arrive plus à me connecter",
            ["AVERTISSEMENT", "Expert-comptable", "Lyon"],
        ),
        (
            "sig_cabinet_password_qc.eml",
            "J'ai oublié mon mot de passe",
            ["Technicienne", "poste 223", "CONFIDENTIALITY"],
        ),
        ("sig_tva_fin_de_mois_login_fr.eml", "je n'arrive pas à me connecter", ["KB Conseil"]),
        (
            "sig_disclaimer_password_en.eml",
            "I forgot my password",
            ["Senior Accountant", "intended recipient"],
        ),
        ("sig_corporate_login_en.eml", "I can't log in", ["Bookkeeper |", "linkedin"]),
        # The notice shares its paragraph with the signature, no blank line between.
        ("sig_mobile_and_business_en.eml", "How do I make a new bookmark", ["Partner", "privileged"]),
        (
            "fwd_outlook_tr_usercode_sig_qc.eml",
            "je trouve pu mon code usager",
            ["450 555-0110", "Lavoie Comptabilité"],
        ),
    ],
)
def test_the_signature_and_the_notice_are_not_read(name: str, asked: str, gone: list[str]) -> None:
    text = text_of(name)
    assert asked in text
    for words in gone:
        assert words not in text
    assert not text.rstrip().endswith(("Cordialement", "Merci beaucoup", "Thanks", "Best regards"))


def test_a_closing_and_a_name_without_contact_lines_stay() -> None:
    lines = ["J'ai oublié mon code.", "", "Merci!", "Ginette"]
    assert strip_signature_block(lines) == lines


def test_a_question_in_short_lines_is_never_part_of_a_signature() -> None:
    lines = ["Bonjour,", "", "Mon code usager?", "Ginette", "418 555-0123"]
    assert strip_signature_block(lines) == ["Bonjour,", "", "Mon code usager?"]


def test_a_disclaimer_needs_text_before_it() -> None:
    only = ["Ce message est confidentiel et destiné uniquement à son destinataire."]
    assert strip_signature_block(only) == only


def test_a_signature_is_cut_from_its_closing_line() -> None:
    lines = ["I can't log in.", "", "Kind regards,", "", "Jane Doe, CPA", "Doe & Co. LLP", "T: 416-555-0134"]
    assert strip_signature_block(lines) == ["I can't log in."]
