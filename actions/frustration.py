"""A person who swears or says nothing ever works: heard, offered a person, helped on.

The acknowledgement carries a "talk to someone" button, so a person is one click away,
and the next useful thing follows at once: the open yes/no question again, or the next
troubleshooting step (the step on screen counts as not having worked).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.troubleshooting import advance

__all__ = ["ActionHandleFrustration", "RESUME_OFFER"]

# The yes/no offers that stay open across a digression, and how to ask them again.
RESUME_OFFER = {"offer_reset": "utter_resume_offer_reset", "offer_support": "utter_resume_offer_support"}


class ActionHandleFrustration(Action):
    """Acknowledges the frustration, offers a person, then gives the next useful step."""

    def name(self) -> str:
        return "action_handle_frustration"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_frustration_ack")
        pending = tracker.get_slot("pending")
        if pending in RESUME_OFFER:
            dispatcher.utter_message(response=RESUME_OFFER[pending])
            return []
        return await advance(dispatcher, tracker, "frustration")
