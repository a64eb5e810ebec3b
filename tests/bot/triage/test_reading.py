"""Long mails read by their requests, replies known by their content (issue 16, items 3 and 4).

The mails are real files of the corpus (tests/data/mail, dev split); what Rasa says of each
sentence is given here, so every rule has a plain test. The same mails through the real
model: test_corpus_with_rasa.py and ``python -m tools.evaluate_mail``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.rasa_client import Parse
from bot.triage.parse import parse_mail
from bot.triage.parsed import ParsedMail
from bot.triage.quotes import new_text
from bot.triage.reading import choose_reading, reply_signs, request_sentences, says_resolved

CORPUS = Path(__file__).parents[2] / "data" / "mail"
OWN = frozenset({"soutien@gem-books.com"})


def load(name: str) -> ParsedMail:
    return parse_mail((CORPUS / name).read_bytes(), max_bytes=10_000_000)


# --- item 3: long mails ---------------------------------------------------------------------


def test_the_context_of_a_long_mail_is_not_a_request() -> None:
    sentences = request_sentences(new_text(load("long_context_login_fr.eml")))
    assert any("je n'arrive plus à me connecter à GEM-BOOKS" in s for s in sentences)
    assert not any("expert-comptable" in s or "TVA" in s for s in sentences)


def test_a_long_sentence_is_cut_where_the_request_starts() -> None:
    sentences = request_sentences(new_text(load("sig_tva_fin_de_mois_login_fr.eml")))
    assert "je n'arrive pas à me connecter à GEM-BOOKS" in sentences
    assert not any("TVA" in s for s in sentences)


def test_both_requests_of_a_two_request_mail_are_read() -> None:
    sentences = request_sentences(new_text(load("long_mixed_invoice_password_fr.eml")))
    assert any("oublié mon mot de passe" in s for s in sentences)
    assert any("abonnement annuel" in s for s in sentences)


def parse(intent: str, confidence: float) -> Parse:
    return Parse(intent=intent, confidence=confidence, language="fr")


def test_the_request_decides_when_the_context_pulled_the_whole_text_off_topic() -> None:
    whole = parse("out_of_scope", 1.0)
    sentences = [
        ("Depuis ce changement, je n'arrive plus à me connecter à GEM-BOOKS", parse("login_problem", 0.95)),
        ("Pouvez-vous m'aider ?", parse("request_human", 0.62)),
    ]
    reading = choose_reading(whole, sentences, threshold=0.8)
    assert (reading.intent, reading.confidence, reading.mixed) == ("login_problem", 0.95, False)
    assert reading.deciding == "Depuis ce changement, je n'arrive plus à me connecter à GEM-BOOKS"


def test_a_short_question_leaning_on_the_sentence_before_does_not_ask_for_a_person() -> None:
    whole = parse("forgot_password", 1.0)
    sentences = [
        ("J'ai perdu mon mot de passe.", parse("forgot_password", 1.0)),
        ("Comment puis-je le réinitialiser ?", parse("out_of_scope", 0.99)),
    ]
    reading = choose_reading(whole, sentences, threshold=0.8)
    assert (reading.intent, reading.mixed, reading.deciding) == (
        "forgot_password",
        False,
        "J'ai perdu mon mot de passe.",
    )


def test_an_answerable_request_beside_one_for_a_person_is_mixed() -> None:
    whole = parse("out_of_scope", 1.0)
    invoice = "Ensuite, je voudrais passer à l'abonnement annuel et obtenir une facture au nom de la SCI."
    sentences = [
        ("J'ai oublié mon mot de passe.", parse("forgot_password", 1.0)),
        (invoice, parse("out_of_scope", 1.0)),
    ]
    reading = choose_reading(whole, sentences, threshold=0.8)
    assert (reading.intent, reading.mixed, reading.deciding) == ("out_of_scope", True, invoice)


def test_without_a_confident_request_the_whole_text_decides() -> None:
    whole = parse("out_of_scope", 0.99)
    reading = choose_reading(whole, [("Comment saisir la TVA?", parse("out_of_scope", 0.7))], threshold=0.8)
    assert (reading.intent, reading.confidence, reading.deciding, reading.mixed) == (
        "out_of_scope",
        0.99,
        "",
        False,
    )


# --- item 4: replies whose thread is unknown --------------------------------------------


@pytest.mark.parametrize(
    ("name", "to_us", "to_auto_answer", "resolved"),
    [
        ("reply_thanks_bookmark_fr.eml", True, True, True),  # "merci, c'était bien le favori"
        ("reply_thanks_qc_ca_marche.eml", True, True, True),  # Apple Mail quote, no In-Reply-To
        ("reply_thanks_bookmark_en.eml", True, True, True),
        ("reply_still_gmail_fr.eml", True, True, False),  # "je n'arrive toujours pas"
        ("reply_still_gmail_en.eml", True, True, False),
        ("reply_thanks_but_still_en.eml", True, True, False),  # "Thanks …, but I still can't log in"
        ("reply_new_question_fr.eml", True, True, False),  # "merci pour le favori. Par contre, …?"
        ("reply_to_auto_answer_qc.eml", True, False, False),  # quotes soutien@, not our signature
        ("quoted_gmail_fr.eml", True, False, False),  # a new question under an agent's answer
        ("login_qc.eml", False, False, False),
    ],
)
def test_a_reply_is_known_by_its_content(
    name: str, to_us: bool, to_auto_answer: bool, resolved: bool
) -> None:
    signs = reply_signs(load(name), own_addresses=OWN)
    assert (signs.to_us, signs.to_auto_answer, signs.resolved) == (to_us, to_auto_answer, resolved)
    assert signs.is_reply is (name != "login_qc.eml")


def test_a_forward_is_a_reply_but_not_to_us() -> None:
    signs = reply_signs(load("fwd_gmail_client_login_en.eml"), own_addresses=OWN)
    assert (signs.is_reply, signs.to_us, signs.resolved) == (True, False, False)


@pytest.mark.parametrize(
    ("text", "resolved"),
    [
        ("Merci, c'était bien le favori !", True),
        ("Ça marche astheure, merci ben gros!", True),
        ("C'est réglé, merci.", True),
        ("Thanks, that fixed it.", True),
        ("All sorted now, thank you!", True),
        ("Merci mais ça marche toujours pas.", False),
        ("Ça marche pu pantoute.", False),
        ("Thanks! How do I clear the cache too?", False),
        ("Thanks, but it still doesn't work.", False),
        ("Merci d'avance, je n'arrive pas à me connecter.", False),
    ],
)
def test_thanks_and_it_worked(text: str, resolved: bool) -> None:
    assert says_resolved(text) is resolved


def test_context_told_is_not_a_request_for_a_person() -> None:
    # long_context_browser_en.eml: a long out-of-scope sentence that asks nothing of us.
    whole = parse("out_of_scope", 1.0)
    told = "The laptops came with Edge only and I want to install whatever works best before everyone starts."
    sentences = [
        (told, parse("out_of_scope", 1.0)),
        ("Which browser do you recommend for GEM-BOOKS?", parse("browser_recommendation", 1.0)),
    ]
    reading = choose_reading(whole, sentences, threshold=0.8)
    assert (reading.intent, reading.mixed) == ("browser_recommendation", False)


@pytest.mark.parametrize("subject", ["Fwd: Problème de connexion", "Problème de connexion"])
def test_a_forward_with_a_polite_thanks_closes_nothing(subject: str) -> None:
    # Same shape as fwd_gmail_client_login_fr.eml, with the "Merci" people add above a forward.
    raw = (CORPUS / "fwd_gmail_client_login_fr.eml").read_bytes()
    mail = parse_mail(raw, max_bytes=10_000_000)
    thanked = mail.__class__(
        **{**mail.__dict__, "subject": subject, "text": "Voici le message de mon client. Merci\n" + mail.text}
    )
    signs = reply_signs(thanked, own_addresses=OWN)
    assert signs.is_reply and not signs.resolved


def test_the_question_decides_when_the_context_reads_as_another_topic() -> None:
    # The context ("the bookmark takes me to an old page") reads as a login problem; the
    # question asks how to make a new bookmark: the question is what to answer.
    whole = parse("login_problem", 0.91)
    sentences = [("Comment je fais un nouveau favori pour GEM-BOOKS?", parse("bookmark_help", 0.99))]
    reading = choose_reading(whole, sentences, threshold=0.8)
    assert (reading.intent, reading.deciding) == ("bookmark_help", sentences[0][0])


def test_a_question_that_agrees_with_the_whole_text_names_it() -> None:
    whole = parse("login_problem", 0.95)
    sentences = [
        ("Pouvez-vous m'aider à me connecter?", parse("login_problem", 0.97)),
        ("Comment je fais un nouveau favori?", parse("bookmark_help", 0.9)),
    ]
    reading = choose_reading(whole, sentences, threshold=0.8)
    assert (reading.intent, reading.deciding) == ("login_problem", sentences[0][0])
