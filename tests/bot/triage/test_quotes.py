"""Only what the person newly wrote reaches the classifier, in French and in English."""

from __future__ import annotations

import dataclasses
import doctest

import pytest

from bot.triage.parsed import ParsedMail
from bot.triage.quotes import classification_text, strip_quotes_and_signature

NEW = "Ça marche toujours pas."
QUOTE = "Videz la cache de votre navigateur et réinitialisez votre mot de passe."


@pytest.mark.parametrize(
    "attribution",
    [
        "Le lun. 3 nov. 2025 à 10:02, Marie <m@x.ca> a écrit :",
        "Le lun. 3 nov. 2025 à 10:02, Marie <m@x.ca> a écrit\u202f:",
        "Le lun. 3 nov. 2025 à 10:02, Marie <m@x.ca> a écrit\u00a0:",
        "Le 2025-11-03 à 10:02, Soutien GEM-BOOKS a écrit :",
        "Le 3 nov. 2025 à 10:02, Marie Tremblay <marie@exemple.ca> a ecrit:",
        "On Mon, Nov 3, 2025 at 10:02 AM Marie <m@x.ca> wrote:",
        "On 2025-11-03 10:02, Marie wrote :",
        "Le lun. 3 nov. 2025 à 10:02, Marie Tremblay <\nmarie@exemple.ca> a écrit\u202f:",
        "On Mon, Nov 3, 2025 at 10:02 AM GEM-BOOKS Support <soutien@gem-books.com>\nwrote:",
        "Le lundi 3 novembre 2025 à 10:02:11 UTC−5,\nSoutien GEM-BOOKS\n<soutien@gem-books.com> a écrit :",
    ],
)
def test_everything_from_an_attribution_line_is_removed(attribution: str) -> None:
    text = f"{NEW}\n\n{attribution}\n\n{QUOTE}\nMerci"
    assert strip_quotes_and_signature(text) == NEW


@pytest.mark.parametrize(
    "separator",
    [
        "-----Message d'origine-----",
        "-----Message d’origine-----",
        "-----Original Message-----",
        "----- Original Message -----",
        "----- Mail original -----",
        "-------- Original message --------",
    ],
)
def test_everything_from_a_separator_is_removed(separator: str) -> None:
    text = f"{NEW}\n\n{separator}\nDe : Soutien\nObjet : RE: aide\n\n{QUOTE}"
    assert strip_quotes_and_signature(text) == NEW


@pytest.mark.parametrize(
    "block",
    [
        "________________________________\nDe : Soutien <s@gem-books.com>\nEnvoyé : 3 novembre 2025 10:02\n"
        "À : Marie <m@x.ca>\nObjet : Votre demande",
        "________________________________\nFrom: GEM-BOOKS Support <s@gem-books.com>\nSent: Monday, November 3, "
        "2025 10:02 AM\nTo: Marie <m@x.ca>\nSubject: Your request",
        "De : Soutien <s@gem-books.com>\nDate : lundi 3 novembre 2025 10:02\nÀ : Marie\nObjet : RE: aide",
        "*From:* Support <s@gem-books.com>\n*Sent:* Monday, November 3, 2025\n*To:* Marie\n*Subject:* help",
    ],
)
def test_an_outlook_header_block_starts_the_quote(block: str) -> None:
    text = f"{NEW}\n\n{block}\n\n{QUOTE}"
    assert strip_quotes_and_signature(text) == NEW


def test_a_lone_from_line_in_new_text_is_kept() -> None:
    text = "From: the login page, I get a blank screen.\nIt started today."
    assert strip_quotes_and_signature(text) == text


def test_quoted_lines_are_removed_and_interleaved_answers_kept() -> None:
    text = (
        "On Mon, Nov 3, 2025 at 10:02 AM Support <s@gem-books.com> wrote:\n"
        "> Which browser do you use?\n"
        "Edge.\n"
        "> Did you clear the cache?\n"
        ">\n"
        "Yes, still not working.\n"
    )
    assert strip_quotes_and_signature(text) == "Edge.\nYes, still not working."


@pytest.mark.parametrize(
    "footer",
    [
        "Envoyé de mon iPhone",
        "Envoyé de mon appareil Galaxy",
        "Envoyé depuis mon mobile Samsung",
        "Sent from my iPhone",
        "Sent from my Galaxy",
        "Get Outlook for iOS<https://aka.ms/o0ukef>",
        "Get Outlook for Android",
        "Obtenir Outlook pour iOS",
        "Obtenir Outlook pour Android",
        "Envoyé à partir de Outlook",
        "Sent from Mail for Windows",
    ],
)
def test_mobile_footers_and_what_follows_are_removed(footer: str) -> None:
    assert strip_quotes_and_signature(f"{NEW}\n\n{footer}\n\n{QUOTE}") == NEW


@pytest.mark.parametrize("dashes", ["-- ", "--"])
def test_a_signature_is_removed(dashes: str) -> None:
    text = f"{NEW}\n{dashes}\nMarie Tremblay\nMot de passe : ne jamais le partager\n418 555-0123"
    assert strip_quotes_and_signature(text) == NEW


@pytest.mark.parametrize(
    "text",
    [
        "Le problème continue depuis lundi.\nJ'ai essayé Chrome et Firefox.",
        "Le 3 novembre j'ai changé d'ordinateur.\nDepuis, ça marche pas.",
        "On my laptop it works.\nOn my phone it does not.",
        "Sent from the office: the app shows an error when I log in, every time, since Monday morning.",
        "J'ai un écran blanc -- pas d'erreur.",
    ],
)
def test_new_text_that_only_looks_like_a_marker_is_kept(text: str) -> None:
    assert strip_quotes_and_signature(text) == text


@pytest.mark.parametrize(
    "marker",
    [
        "---------- Forwarded message ---------",
        "---------- Message transféré ---------",
        "-------- Message transféré --------",
        "Begin forwarded message:",
        "Début du message réexpédié :",
    ],
)
def test_a_forward_keeps_the_forwarded_text_without_its_header(marker: str) -> None:
    text = f"Pouvez-vous l'aider?\n\n{marker}\nDe : Karine <k@x.ca>\nDate: 3 nov.\nSubject: code\nTo: moi\n\nMa collègue a oublié son code usager."
    assert strip_quotes_and_signature(text) == "Pouvez-vous l'aider?\n\nMa collègue a oublié son code usager."


def test_an_outlook_forward_keeps_the_forwarded_text_but_a_reply_does_not() -> None:
    text = "Voir plus bas.\n\n____\nDe : Karine\nEnvoyé : lundi\nÀ : Moi\nObjet : code\n\nMa collègue a oublié son code usager."
    assert (
        strip_quotes_and_signature(text, forward=True)
        == "Voir plus bas.\n\nMa collègue a oublié son code usager."
    )
    assert strip_quotes_and_signature(text) == "Voir plus bas."


def test_an_attribution_needs_a_date_to_span_lines() -> None:
    # "Le problème …" followed by a real attribution is not one three-line attribution.
    text = f"Le problème revient.\nLe lun. 3 nov. 2025 à 10:02, Marie a écrit :\n{QUOTE}"
    assert strip_quotes_and_signature(text) == "Le problème revient."


@pytest.mark.parametrize(
    "text",
    [
        "> Bonjour, voici la réponse.\n> Merci",
        "Le lun. 3 nov. 2025 à 10:02, Marie <m@x.ca> a écrit :\nBonjour",
        "-- \nMarie Tremblay",
        "   \n\n",
    ],
)
def test_a_mail_that_is_only_a_quote_keeps_its_text(text: str) -> None:
    assert strip_quotes_and_signature(text) == text.strip()


def test_trailing_rules_and_blank_lines_are_dropped() -> None:
    text = f"\n{NEW}\n\n________________________________\nDe : S\nEnvoyé : hier\nÀ : M\n{QUOTE}"
    assert strip_quotes_and_signature(text) == NEW


def test_crlf_input_is_handled() -> None:
    assert strip_quotes_and_signature(f"{NEW}\r\n\r\n-----Original Message-----\r\n{QUOTE}") == NEW


# --- classification_text -----------------------------------------------------------------


def parsed(subject: str = "", text: str = "") -> ParsedMail:
    return ParsedMail(
        message_id="<t@exemple.ca>",
        from_address="m@exemple.ca",
        from_name="",
        reply_to="",
        to=(),
        recipient_count=0,
        subject=subject,
        date=None,
        in_reply_to=(),
        references=(),
        text=text,
        attachments=(),
        content_language="",
        headers=(),
        size=0,
        defects=(),
    )


def test_an_empty_body_gives_the_subject() -> None:
    assert classification_text(parsed("Mot de passe oublié")) == "Mot de passe oublié"


def test_empty_subject_and_body_give_nothing() -> None:
    assert classification_text(parsed()) == ""
    assert classification_text(parsed("(sans objet)", "  \n ")) == ""


@pytest.mark.parametrize(
    "subject",
    [
        "TR: Code usager",
        "Fwd: Code usager",
        "FW: Code usager",
        "TR : Fwd: Code usager",
        "RÉF: Code usager",
        "réf : Code usager",
        "Re: TR: Code usager",
        "RE : RE: re: Code usager",
        "Re[2]: Code usager",
    ],
)
def test_reply_and_forward_prefixes_are_dropped(subject: str) -> None:
    assert classification_text(parsed(subject)) == "Code usager"


def test_the_subject_then_the_new_text_whitespace_collapsed() -> None:
    mail = parsed("TR:  Code   usager", "Bonjour,\n\n  ma collègue   a oublié\tson code.\n\n-- \nJosée")
    assert classification_text(mail) == "Code usager\nBonjour, ma collègue a oublié son code."


def test_a_replys_subject_is_left_out_when_the_reply_has_text() -> None:
    mail = parsed(
        "Re: Mot de passe oublié", f"{NEW}\n\nLe lun. 3 nov. 2025 à 10:02, S <s@x.ca> a écrit :\n> {QUOTE}"
    )
    assert classification_text(mail) == NEW
    # a reply with no text of its own still has its subject
    assert classification_text(dataclasses.replace(mail, text="")) == "Mot de passe oublié"


def test_the_text_is_capped() -> None:
    mail = parsed("Mot de passe oublié", "mot " * 1000)
    text = classification_text(mail, max_chars=50)
    assert len(text) <= 50
    assert text.startswith("Mot de passe oublié\nmot mot")
    assert len(classification_text(mail)) <= 1000


def test_the_module_examples_hold() -> None:
    import bot.triage.quotes

    assert doctest.testmod(bot.triage.quotes).failed == 0
