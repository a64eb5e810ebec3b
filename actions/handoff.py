"""Passing the conversation to the support team, and the questions that lead there."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import latest_intent

__all__ = ["ActionAcknowledgeDecline", "ActionEscalate", "ActionOfferSupport", "escalate"]

# Why a conversation reached a person, by the intent that led there.
REASON_BY_INTENT = {
    "request_human": "requested_by_person",
    "still_not_working": "troubleshooting_exhausted",
    "out_of_scope": "out_of_scope",
    "nlu_fallback": "not_understood",
}


def escalate(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[EventType]:
    """Tell the person support takes over, and record why.

    The handoff's side effects (the hub's queue, the agent console, the email to support)
    hang off `handoff_reason`; everything the packet needs is already in the slots.
    """
    dispatcher.utter_message(response="utter_handoff")
    return [SlotSet("handoff_reason", reason), SlotSet("pending", None)]


class ActionEscalate(Action):
    """Hands the conversation over to the support team."""

    def name(self) -> str:
        return "action_escalate"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        if tracker.get_slot("pending") == "offer_support":
            reason = tracker.get_slot("handoff_reason") or "accepted_offer"
        else:
            reason = REASON_BY_INTENT.get(latest_intent(tracker) or "", "requested_by_person")
        return escalate(dispatcher, tracker, reason)


class ActionOfferSupport(Action):
    """Out of scope: say what the assistant covers and offer to pass the question on."""

    def name(self) -> str:
        return "action_offer_support"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_out_of_scope")
        return [SlotSet("pending", "offer_support"), SlotSet("handoff_reason", "out_of_scope")]


class ActionAcknowledgeDecline(Action):
    """Answers "no" to an offer (or a cancelled form) and clears the pending question."""

    def name(self) -> str:
        return "action_acknowledge_decline"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        if tracker.get_slot("pending") == "offer_reset":
            dispatcher.utter_message(response="utter_reset_declined")
        else:
            dispatcher.utter_message(response="utter_anything_else")
        return [SlotSet("pending", None), SlotSet("form_attempts", 0)]
