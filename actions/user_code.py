"""Forgotten user code: send a reminder to the account's email address."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.accounts import mask_email
from actions.conversation import language_of, request_id
from actions.gateway import get_gateway
from actions.password_reset import report_outcome

__all__ = ["ActionSendUserCodeReminder"]


class ActionSendUserCodeReminder(Action):
    """Submits `user_code_reminder_form`: asks the gateway to send the reminder."""

    def name(self) -> str:
        return "action_send_user_code_reminder"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        email = tracker.get_slot("email")
        if not email or "***" in email:
            return []
        outcome = await get_gateway().send_user_code_reminder(
            email=email,
            language=language_of(tracker),
            conversation_id=tracker.sender_id,
            request_id=request_id(tracker) or None,
        )
        report_outcome(dispatcher, outcome, "utter_user_code_reminder_sent", email)
        return [SlotSet("email", mask_email(email)), SlotSet("pending", None)]
