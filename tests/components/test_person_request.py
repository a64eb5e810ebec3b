"""An explicit request for a person wins over the topic; a negated one, a question about who
answers, or a person somewhere else changes nothing."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from components.person_request import PersonRequest, asks_for_a_person


@pytest.mark.parametrize(
    "text",
    [
        "This isn't helping, I want someone to look at my invoice. Can I talk to a person?",
        "put me through to an agent about my refund",
        "i need an actual person for this",
        "human please",
        "passez-moi un agent pour mon remboursement",
        "je veux parler à quelqu'un de chez vous pour ma facture",
        "chu pu capable, mettez-moi en contact avec un technicien",
        "je voudrais du vrai monde",
        "Est-ce que je peux exporter en Excel? En fait non, je veux parler à un de vos agents.",
    ],
)
def test_requests_for_a_person(text):
    assert asks_for_a_person(text)


@pytest.mark.parametrize(
    "text",
    [
        "No, you don't need to transfer me to a real person",
        "je veux pas parler à quelqu'un, juste mon mot de passe",
        "I need to speak to someone at bell about my internet bill",
        "mon comptable doit parler à quelqu'un de chez Desjardins",
        "is there someone else using my account?",
        "comment ajouter un utilisateur à mon compte",
        "I forgot my password",
    ],
)
def test_not_requests_for_a_person(text):
    assert not asks_for_a_person(text)


def message(text: str, intent: str, confidence: float) -> Message:
    msg = Message(data={TEXT: text})
    msg.set(INTENT, {"name": intent, "confidence": confidence})
    msg.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": confidence}])
    return msg


def test_the_request_becomes_the_intent_and_the_topic_stays_in_the_ranking():
    [msg] = PersonRequest({}).process(
        [message("put me through to an agent about my refund", "out_of_scope", 0.99)]
    )
    assert msg.get(INTENT) == {"name": "request_human", "confidence": 0.99}
    ranking = msg.get(INTENT_RANKING_KEY)
    assert [r["name"] for r in ranking] == ["request_human", "out_of_scope"]
    # Clearly first: the fallback's ambiguity check (top two within 0.05) must not fire.
    assert ranking[0]["confidence"] - ranking[1]["confidence"] > 0.9


def test_a_question_about_who_answers_stays_a_bot_question():
    [msg] = PersonRequest({}).process([message("am I talking to a real person?", "bot_challenge", 0.9)])
    assert msg.get(INTENT)["name"] == "bot_challenge"


def test_typed_intents_are_left_alone():
    [msg] = PersonRequest({}).process([message("/greet", "greet", 1.0)])
    assert msg.get(INTENT)["name"] == "greet"
