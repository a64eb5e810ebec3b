"""Low-confidence messages: offer the two likeliest topics, then support."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import language_of

__all__ = ["ActionOfferLikelyTopics", "TOPIC_LABELS"]

# Button labels for the intents worth offering as topics.
TOPIC_LABELS: dict[str, dict[str, str]] = {
    "login_problem": {"fr": "Je n'arrive pas à me connecter", "en": "I can't log in"},
    "forgot_password": {"fr": "Mot de passe oublié", "en": "Forgotten password"},
    "forgot_user_code": {"fr": "Code d'utilisateur oublié", "en": "Forgotten user code"},
    "reset_email_missing": {"fr": "Courriel de réinitialisation non reçu", "en": "Reset email not received"},
    "clear_browser_data": {"fr": "Vider les données du navigateur", "en": "Clear browser data"},
    "browser_recommendation": {"fr": "Quel navigateur utiliser", "en": "Which browser to use"},
    "bookmark_help": {"fr": "La bonne adresse / le favori", "en": "The right address / bookmark"},
    "request_human": {"fr": "Parler au soutien", "en": "Talk to support"},
}
SUPPORT = "request_human"


def _fallbacks_in_a_row(tracker: Tracker) -> int:
    """How many of the person's latest messages in a row were not understood."""
    count = 0
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent") or {}
        if intent.get("name") != "nlu_fallback":
            break
        count += 1
    return count


class ActionOfferLikelyTopics(Action):
    """Offers the two likeliest topics as buttons; a second miss in a row offers support."""

    def name(self) -> str:
        return "action_offer_likely_topics"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        if _fallbacks_in_a_row(tracker) >= 2:
            dispatcher.utter_message(response="utter_fallback_offer_support")
            return [SlotSet("pending", "offer_support"), SlotSet("handoff_reason", "not_understood")]
        language = language_of(tracker)
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        likely = [
            item["name"]
            for item in ranking
            if item.get("name") in TOPIC_LABELS and item.get("name") != SUPPORT
        ][:2]
        buttons = [
            {"title": TOPIC_LABELS[name][language], "payload": f"/{name}"} for name in [*likely, SUPPORT]
        ]
        dispatcher.utter_message(response="utter_fallback_topics", buttons=buttons)
        return [SlotSet("pending", None)]
