"""Forgotten password: offer the reset email, collect user code and email, send it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.accounts import GatewayOutcome, is_valid_email, is_valid_user_code, mask_email
from actions.conversation import language_of, latest_intent, latest_text, request_id
from actions.gateway import get_gateway
from actions.steps_done import spam_checked

__all__ = ["ActionOfferPasswordReset", "ActionSendPasswordReset", "report_outcome"]


class ActionOfferPasswordReset(Action):
    """Explains the reset and asks whether to send the email now."""

    def name(self) -> str:
        return "action_offer_password_reset"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        user_code = str(tracker.get_slot("user_code") or "")
        email = str(tracker.get_slot("email") or "")
        if latest_intent(tracker) == "reset_email_missing":
            # "J'ai vérifié mes spams": no telling them to look there again.
            checked = spam_checked(latest_text(tracker))
            dispatcher.utter_message(
                response="utter_reset_email_missing_spam_checked" if checked else "utter_reset_email_missing"
            )
        elif is_valid_user_code(user_code) and is_valid_email(email) and "***" not in email:
            # Everything given in one message: say what will be used, ask only yes or no.
            dispatcher.utter_message(
                response="utter_offer_password_reset_known",
                user_code=user_code,
                masked_email=mask_email(email),
            )
        else:
            dispatcher.utter_message(response="utter_offer_password_reset")
        events: list[EventType] = [SlotSet("pending", "offer_reset"), SlotSet("form_attempts", 0)]
        # After a previous send only the masked address is kept: ask for it again.
        if "***" in email:
            events.append(SlotSet("email", None))
        return events


def report_outcome(
    dispatcher: CollectingDispatcher, outcome: GatewayOutcome, sent_response: str, email: str
) -> bool:
    """Tell the person what happens next, the same way whether or not the account exists.

    Returns whether the request was accepted.
    """
    if outcome.status == "accepted":
        dispatcher.utter_message(response=sent_response, masked_email=mask_email(email))
        return True
    if outcome.status == "rate_limited":
        minutes = max(1, -(-(outcome.retry_after_seconds or 60) // 60))
        dispatcher.utter_message(response="utter_rate_limited", retry_minutes=minutes)
    else:
        dispatcher.utter_message(response="utter_account_service_unavailable")
    return False


class ActionSendPasswordReset(Action):
    """Submits `password_reset_form`: asks the gateway to send the reset email."""

    def name(self) -> str:
        return "action_send_password_reset"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        user_code = tracker.get_slot("user_code")
        email = tracker.get_slot("email")
        if not user_code or not email:
            # The form was abandoned (the validator already offered support).
            return []
        outcome = await get_gateway().request_password_reset(
            user_code=user_code,
            email=email,
            language=language_of(tracker),
            conversation_id=tracker.sender_id,
            request_id=request_id(tracker) or None,
        )
        accepted = report_outcome(dispatcher, outcome, "utter_password_reset_sent", email)
        # The full address has done its job: keep only the masked one (docs/SECURITY.md).
        return [
            SlotSet("reset_email_sent", accepted or bool(tracker.get_slot("reset_email_sent"))),
            SlotSet("email", mask_email(email)),
            SlotSet("pending", None),
        ]
