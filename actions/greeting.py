"""Greeting, including a person who comes back in the middle of the troubleshooting steps."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

__all__ = ["ActionGreet"]


class ActionGreet(Action):
    """Says hello, or "welcome back, is it working now?" when a step is still open."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        step = tracker.get_slot("troubleshooting_step")
        if step and tracker.get_slot("pending") == "troubleshooting":
            dispatcher.utter_message(response="utter_welcome_back")
        else:
            dispatcher.utter_message(response="utter_greet")
        return []
