"""The language component: French or English when clear, nothing when not."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.language_detector import LanguageDetector, detect_language


@pytest.mark.parametrize(
    "text",
    [
        "je n'arrive plus à me brancher",
        "chu pu capable de me connecter",
        "ça marche pu pis j'ai vidé la cache",
        "j'ai oublié mon code usager",
        "mdp oublié svp",
        "Bonjour, depuis ce matin mon favori me donne une erreur",
        "jarrive pa a me conecter",
    ],
)
def test_french(text):
    assert detect_language(text) == "fr"


@pytest.mark.parametrize(
    "text",
    [
        "I can't log in",
        "I forgot my password",
        "the reset email never came",
        "how do I clear the cache on chrome",
        "cant login since this morning pls help",
        "i forgot my mot de passe",
    ],
)
def test_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text",
    [
        "ok",
        "merci",
        "oui",
        "hi",
        "no thanks",
        "chrome",
        "firefox",
        "JTREMBLAY01",
        "marie@exemple.ca",
        "",
        "👍",
        "🙂" * 50,
    ],
)
def test_short_or_ambiguous_messages_keep_the_known_language(text):
    assert detect_language(text) is None


def test_component_adds_a_language_entity_only_when_sure():
    component = LanguageDetector({})
    clear = Message(data={TEXT: "I forgot my password"})
    vague = Message(data={TEXT: "ok"})
    command = Message(data={TEXT: '/forgot_password{"email": "a@b.ca"}'})
    component.process([clear, vague, command])
    assert [e["value"] for e in clear.get(ENTITIES) if e["entity"] == "language"] == ["en"]
    assert not [e for e in vague.get(ENTITIES, []) if e["entity"] == "language"]
    assert not [e for e in command.get(ENTITIES, []) if e["entity"] == "language"]


def test_component_keeps_entities_found_before_it():
    message = Message(
        data={TEXT: "j'utilise chrome pis ça marche pu", ENTITIES: [{"entity": "browser", "value": "chrome"}]}
    )
    LanguageDetector({}).process([message])
    assert [e["entity"] for e in message.get(ENTITIES)] == ["browser", "language"]


def test_odd_input_does_not_crash():
    for text in [
        "\x00\x00",
        "\u202eevil",
        "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "a" * 5000,
    ]:
        assert detect_language(text) in (None, "fr", "en")
