"""Rasa NLU component: an explicit request for a person wins over whatever topic comes with it.

"Put me through to an agent about my refund", "je veux parler à quelqu'un pour ma
facture": the topic words (refund, invoice) pull such a message to `out_of_scope`, yet
what the person asks is a person. Asking for a person takes a small, closed set of
phrasings in both languages (a verb of talking or transferring and a word for a person,
"a real person", "du vrai monde"), so they are recognised by their shape, after the
classifier has spoken: the message's intent becomes `request_human`, and the classifier's
own ranking is kept below it. A negated request ("you don't need to transfer me to a
person", "je veux pas parler à quelqu'un") changes nothing.

Runs after DIETClassifier and before FallbackClassifier in config.yml.

>>> asks_for_a_person("I demand a refund, put me through with a real person!")
True
>>> asks_for_a_person("No, you don't need to transfer me to a real person")
False
>>> asks_for_a_person("comment ajouter un utilisateur à mon compte")
False
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

__all__ = ["PERSON_INTENT", "PersonRequest", "asks_for_a_person"]

PERSON_INTENT = "request_human"

_EN_PERSON = (
    r"(?:human|person|people|agent|someone|somebody|some one|representative|rep|manager|advisor|adviser|"
    r"employee|worker|staff|operator|technician|support|customer service|team member)s?"
)
_FR_PERSON = (
    r"(?:humain|humaine|personne|agent|agente|conseill[eè]re?|technicien(?:ne)?|employ[ée]e?|"
    r"quelqu['’]un|qqn|g[ée]rante?|responsable|repr[ée]sentante?|vrai monde|soutien|support|"
    r"service (?:client|à la client[eè]le))s?"
)
# Between the article and the person, only words that describe the person.
_EN_DET = (
    r"(?:(?:a|an|the|your|some|one of your|someone from your)\s+)?"
    r"(?:(?:real|actual|live|human|other|different|qualified|tech|technical|bank|support|customer)\s+){0,2}"
)
_FR_DET = (
    r"(?:(?:un|une|le|la|les|du|des|votre|vos|un de vos|une de vos|quelqu['’]un de)\s+)?"
    r"(?:(?:vrai|vraie|vrais|autre|être|seul|bon|technique|du soutien)\s+){0,2}"
)
# A person somewhere else ("someone at the CRA", "le service client de Bell") is not ours.
_NOT_OURS = r"(?!\s+(?:at|from (?!your|gem)|of (?!your|gem)|(?:de )?chez (?!vous|gem)))"

_PATTERNS = [
    # talk / speak / chat to or with a person
    rf"\b(?:talk|speak|chat|discuss)\w*\s+(?:to|with)\s+{_EN_DET}{_EN_PERSON}\b{_NOT_OURS}",
    # put / transfer / pass / connect me to a person
    rf"\b(?:put|transfer|pass|connect|forward|escalate|switch|send|get)\s+(?:me|this|my case|it)\s+"
    rf"(?:through\s+|over\s+|on\s+)?(?:to|with)\s+{_EN_DET}{_EN_PERSON}\b{_NOT_OURS}",
    rf"\b(?:get|give|find)\s+me\s+{_EN_DET}{_EN_PERSON}\b{_NOT_OURS}",
    rf"\b(?:want|need|prefer|rather have|like)\s+(?:a|an|to have a|to get a)\s+{_EN_DET}(?:human|person|agent|representative)\b",
    r"\b(?:human|agent|person)\s+(?:please|pls|plz)\b",
    r"\b(?:to|with|get|want|need|have|let)\s+(?:someone|somebody) else\b",
    r"\bstop talking to (?:a )?(?:bots?|machines?|robots?)\b",
    # parler à / avec quelqu'un
    rf"\b(?:parler|jaser|discuter|échanger|echanger|m['’]adresser|passer par|tomber sur)\s+(?:à|a|avec|par|sur)?\s*{_FR_DET}{_FR_PERSON}\b{_NOT_OURS}",
    # passez-moi / transférez-moi / mettez-moi en contact avec quelqu'un
    rf"\b(?:pass\w*|transf[ée]r\w*|mett\w*|mets|envoy\w*|redirig\w*|donn\w*|trouv\w*)[- ]moi\s+"
    rf"(?:avec\s+|à\s+|a\s+|en (?:contact|relation|ligne) avec\s+|au\s+)?{_FR_DET}{_FR_PERSON}\b{_NOT_OURS}",
    rf"\ben (?:contact|relation|ligne) avec\s+{_FR_DET}{_FR_PERSON}\b{_NOT_OURS}",
    rf"\b(?:me|nous)\s+(?:pass\w*|transf[ée]r\w*|rediriger vers|envoyer)\s+(?:à\s+|a\s+)?{_FR_DET}{_FR_PERSON}\b{_NOT_OURS}",
    rf"\b(?:veux|voudrais|aimerais|préfère|prefere|besoin d['’])\s*(?:un|une|du)\s+{_FR_DET}"
    r"(?:humain|agent|conseill[eè]re?|personne|technicien(?:ne)?|employ[ée]e?|vrai monde)\b",
    r"\bquelqu['’]un d['’]autre (?:peut|pourrait|pour)\b",
    r"\b(?:un|une) (?:être humain|interlocuteur humain|agent humain|conseiller humain|vraie personne|vrai humain)\b",
]
_REQUEST = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
# A negation shortly before the request, in the same clause, cancels it.
_NEGATION = re.compile(
    r"\b(?:don['’]?t|do not|doesn['’]?t|no need|not necessary|never|pas|jamais|plus besoin)\b[^.!?,;]{0,20}$",
    re.IGNORECASE,
)
# Questions about who answers ("am I talking to a real person?") are `bot_challenge`.
_ASKING_WHO = frozenset({"bot_challenge"})
_SENTENCES = re.compile(r"[^.!?\n]+[.!?\n]*")


def asks_for_a_person(text: str) -> bool:
    """Whether ``text`` asks for a person, in a sentence that does not negate it."""
    for sentence in _SENTENCES.findall(text or ""):
        for match in _REQUEST.finditer(sentence):
            if not _NEGATION.search(sentence[: match.start()]):
                return True
    return False


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class PersonRequest(GraphComponent):
    """Sets the intent to `request_human` when the message explicitly asks for a person."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"confidence": 0.95}

    def __init__(self, config: dict[str, Any]) -> None:
        self._confidence = float({**self.get_default_config(), **config}["confidence"])

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> PersonRequest:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            intent = message.get(INTENT) or {}
            if (
                text.startswith("/")
                or intent.get("name") == PERSON_INTENT
                or intent.get("name") in _ASKING_WHO
                or not asks_for_a_person(text)
            ):
                continue
            confidence = max(self._confidence, float(intent.get("confidence") or 0.0))
            # The classifier's other guesses share what is left, so the request is clearly
            # first (FallbackClassifier's ambiguity check compares the top two).
            ranking = [
                {**r, "confidence": float(r.get("confidence") or 0.0) * (1.0 - confidence)}
                for r in message.get(INTENT_RANKING_KEY) or []
                if r.get("name") != PERSON_INTENT
            ]
            message.set(INTENT, {"name": PERSON_INTENT, "confidence": confidence}, add_to_output=True)
            message.set(
                INTENT_RANKING_KEY,
                [{"name": PERSON_INTENT, "confidence": confidence}, *ranking],
                add_to_output=True,
            )
        return messages
