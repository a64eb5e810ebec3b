"""Passing the conversation to the support team, and the questions that lead there."""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import language_of, latest_intent
from actions.hub_client import HubClient
from actions.settings import ActionSettings, get_settings

__all__ = [
    "ActionAcknowledgeDecline",
    "ActionEscalate",
    "ActionOfferSupport",
    "HandoffClient",
    "HandoffOpened",
    "escalate",
    "get_handoff_client",
]

# Why a conversation reached a person, by the intent that led there.
REASON_BY_INTENT = {
    "request_human": "requested_by_person",
    "still_not_working": "troubleshooting_exhausted",
    "out_of_scope": "out_of_scope",
    "nlu_fallback": "not_understood",
}


@dataclasses.dataclass(frozen=True)
class HandoffOpened:
    """The hub's answer: whether an agent is online, and whether it has an address to mail."""

    agent_online: bool
    contact_known: bool


class HandoffClient:
    """Opens a handoff through the hub's internal API (``POST /internal/handoffs``).

    The hub adds the transcript and each message's intent from its own database, puts
    the conversation in the agents' queue, and mails support when nobody is online. It
    opens one handoff per conversation however often this is retried.
    """

    def __init__(self, settings: ActionSettings) -> None:
        self._hub = HubClient(settings)

    async def open(self, packet: dict[str, Any]) -> HandoffOpened | None:
        """None when the hub could not be reached or refused (the caller still hands over)."""
        answer = await self._hub.post("/internal/handoffs", packet)
        if answer.status != 200:
            return None
        return HandoffOpened(bool(answer.body.get("agent_online")), bool(answer.body.get("contact_known")))


@lru_cache(maxsize=1)
def get_handoff_client() -> HandoffClient:
    return HandoffClient(get_settings())


def handoff_packet(tracker: Tracker, reason: str, steps_tried: list[str] | None = None) -> dict[str, Any]:
    """What the assistant knows, from the slots (the email slot is already masked after a reset)."""
    steps = steps_tried if steps_tried is not None else tracker.get_slot("steps_tried")
    return {
        "conversation_id": tracker.sender_id,
        "reason": reason,
        "language": language_of(tracker),
        "browser": tracker.get_slot("browser") or "",
        "steps_tried": [str(step) for step in steps or []],
        "reset_email_sent": bool(tracker.get_slot("reset_email_sent")),
        "user_code": tracker.get_slot("user_code") or "",
        "email": tracker.get_slot("email") or "",
    }


async def escalate(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    reason: str,
    steps_tried: list[str] | None = None,
) -> list[EventType]:
    """Open the handoff at the hub and tell the person who will answer, and where.

    ``steps_tried``: the steps as they stand after this turn, when the caller just
    changed them (the slot on ``tracker`` is then one step behind).
    """
    opened = await get_handoff_client().open(handoff_packet(tracker, reason, steps_tried))
    if opened is None:
        response = "utter_handoff"  # the hub is unreachable: the generic text, with the address
    elif opened.agent_online:
        response = "utter_handoff_agent"
    elif opened.contact_known:
        response = "utter_handoff_email"
    else:
        response = "utter_handoff_email_ask"
    dispatcher.utter_message(response=response)
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
        return await escalate(dispatcher, tracker, reason)


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
