"""Start of a conversation: take the language and browser the client already knows."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import browser_from_user_agent, normalise_language

__all__ = ["ActionSessionStart"]

# Slots that must not survive into a new session: a half-finished form or a pending
# yes/no question from yesterday would make today's "oui" mean something else.
_RESET_ON_NEW_SESSION = ("requested_slot",)


class ActionSessionStart(Action):
    """Starts a session, carrying slots over and reading the client's metadata.

    The widget sends the page language and the browser's User-Agent as metadata, so
    the assistant can answer in the page's language and give browser-specific steps
    without asking.
    """

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        # Carry over what the previous session learnt (Rasa's default behaviour with
        # carry_over_slots_to_new_session), except transient form state.
        for key, value in tracker.current_slot_values().items():
            if value is not None and key not in _RESET_ON_NEW_SESSION:
                events.append(SlotSet(key, value))
        metadata = tracker.get_slot("session_started_metadata") or {}
        language = normalise_language(metadata.get("language"))
        if language and not tracker.get_slot("language"):
            events.append(SlotSet("language", language))
        browser = browser_from_user_agent(metadata.get("user_agent"))
        if browser and not tracker.get_slot("browser"):
            events.append(SlotSet("browser", browser))
        events.append(ActionExecuted("action_listen"))
        return events
