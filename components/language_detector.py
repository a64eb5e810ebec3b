"""Rasa NLU component that tells French from English and fills the `language` slot.

It adds an entity ``{"entity": "language", "value": "fr" | "en"}`` to a message when it is
sure, and nothing otherwise, so a short or ambiguous message ("ok", "merci", "chrome")
keeps the language the conversation already has (the slot is mapped from this entity).

Long messages are judged by lingua (restricted to French and English); lingua alone is
unreliable on a few words and on Québec spelling ("chu pu capable"), so a small lexicon of
words that only one of the two languages uses nudges the decision. A message of a word
or two ("oui", "hi", "chrome") never changes the language: the widget's page language
and the first real sentence decide it.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

__all__ = ["LanguageDetector", "detect_language"]

LANGUAGE_ENTITY = "language"

# Words that, in a support message, point to one language only. Brand terms that English
# speakers also type in French ("connexion", "courriel" in a mixed message) are left out
# of the English side on purpose: they only ever count towards French.
FRENCH_MARKERS = frozenset(
    [
        "je",
        "j",
        "jai",
        "j'ai",
        "chu",
        "suis",
        "pu",
        "plus",
        "pas",
        "pis",
        "mon",
        "ma",
        "mes",
        "mot",
        "passe",
        "mdp",
        "oublié",
        "oublie",
        "oublier",
        "courriel",
        "brancher",
        "connecter",
        "arrive",
        "arrivent",
        "marche",
        "fonctionne",
        "bonjour",
        "bonsoir",
        "salut",
        "allo",
        "allô",
        "merci",
        "oui",
        "ouais",
        "non",
        "svp",
        "stp",
        "ça",
        "ca",
        "c'est",
        "cest",
        "est",
        "une",
        "des",
        "les",
        "le",
        "la",
        "du",
        "au",
        "avec",
        "pour",
        "dans",
        "sur",
        "mais",
        "quoi",
        "comment",
        "pourquoi",
        "où",
        "quand",
        "vous",
        "tu",
        "moi",
        "code",
        "usager",
        "utilisateur",
        "identifiant",
        "témoins",
        "favori",
        "navigateur",
        "réinitialiser",
        "reçu",
        "recu",
        "toujours",
        "encore",
        "aide",
        "parler",
        "personne",
        "quelqu'un",
        "agent",
        "vider",
        "effacer",
        "données",
        "jarrive",
        "arriver",
        "pa",
        "conecter",
        "de",
        "des",
        "et",
        "que",
        "qui",
        "ne",
        "n'arrive",
        "n'est",
        "d'utilisateur",
        "l'application",
    ]
)
ENGLISH_MARKERS = frozenset(
    [
        "i",
        "i'm",
        "im",
        "my",
        "the",
        "a",
        "an",
        "is",
        "it's",
        "its",
        "can't",
        "cant",
        "cannot",
        "can't",
        "don't",
        "dont",
        "doesn't",
        "didn't",
        "forgot",
        "forget",
        "password",
        "pw",
        "pwd",
        "login",
        "log",
        "username",
        "email",
        "never",
        "got",
        "get",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "yes",
        "yeah",
        "yep",
        "nope",
        "please",
        "pls",
        "help",
        "you",
        "your",
        "what",
        "how",
        "why",
        "where",
        "when",
        "with",
        "for",
        "and",
        "but",
        "still",
        "not",
        "working",
        "work",
        "browser",
        "cache",
        "cookies",
        "clear",
        "bookmark",
        "reset",
        "link",
        "talk",
        "person",
        "someone",
        "human",
        "agent",
        "speak",
        "need",
        "want",
        "user",
        "code",
    ]
)

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)
# Addresses and links are not language: "marie@exemple.ca" is not three French words.
_NOT_WORDS = re.compile(r"\S+@\S+|https?://\S+|www\.\S+", re.IGNORECASE)


class _Lingua:
    """Lazily built lingua detector: building it costs about a second, once per process."""

    _detector: Any = None

    @classmethod
    def french_probability(cls, text: str) -> float:
        if cls._detector is None:
            from lingua import Language, LanguageDetectorBuilder

            cls._detector = (
                LanguageDetectorBuilder.from_languages(Language.FRENCH, Language.ENGLISH)
                .with_preloaded_language_models()
                .build()
            )
        from lingua import Language

        return float(cls._detector.compute_language_confidence(text, Language.FRENCH))


def detect_language(
    text: str, min_words: int = 3, margin: float = 0.15, marker_weight: float = 0.12
) -> str | None:
    """Return "fr" or "en" when the text clearly is that language, else None.

    >>> detect_language("chu pu capable de me brancher")
    'fr'
    >>> detect_language("ok") is None
    True
    """
    text = _NOT_WORDS.sub(" ", text.replace("\u2019", "'"))
    words = [w.lower() for w in _WORD.findall(text)]
    if not words:
        return None
    if len(words) < min_words:
        return None
    lexical = sum(w in FRENCH_MARKERS for w in words) - sum(w in ENGLISH_MARKERS for w in words)
    score = _Lingua.french_probability(text) + marker_weight * lexical
    if score >= 0.5 + margin:
        return "fr"
    if score <= 0.5 - margin:
        return "en"
    return None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent):
    """Adds a `language` entity (fr or en) to messages whose language is clear."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_words": 3, "margin": 0.15, "marker_weight": 0.12}

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = {**self.get_default_config(), **config}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> LanguageDetector:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        # Training examples carry no language annotation; nothing to learn or add.
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            # Intent payloads typed as "/intent{...}" are not language.
            if text.startswith("/"):
                continue
            language = detect_language(
                text,
                min_words=int(self._config["min_words"]),
                margin=float(self._config["margin"]),
                marker_weight=float(self._config["marker_weight"]),
            )
            if language is None:
                continue
            entity = {
                "entity": LANGUAGE_ENTITY,
                "value": language,
                "start": 0,
                "end": len(text),
                "confidence": 1.0,
                "extractor": self.__class__.__name__,
            }
            message.set(ENTITIES, [*message.get(ENTITIES, []), entity], add_to_output=True)
        return messages
