"""Validation of the two account forms: user code and email, one retry, then a way out.

Both forms ask for an email address and the password-reset form also for the user code.
A person answers in free text ("c'est jtremblay", "marie@exemple.ca") that NLU does not
always tag, so the validators extract the answer themselves, check its shape, allow one
retry, and on the second bad answer end the form and offer the support team instead.
A value pre-filled from a typed `/forgot_password{"email": ...}` goes through the same
checks, because Rasa validates pre-filled slots when a form starts.
"""

from __future__ import annotations

import abc
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.accounts import find_email, is_valid_email, is_valid_user_code
from actions.conversation import latest_intent, latest_text

__all__ = ["ValidatePasswordResetForm", "ValidateUserCodeReminderForm"]

MAX_ATTEMPTS = 2
# Intents that mean "I am not answering your question": they go to the rules
# (cancel, ask for a person, "I don't know my code") instead of being taken as a value.
NOT_AN_ANSWER = frozenset(
    {
        "forgot_user_code",
        "forgot_password",
        "request_human",
        "deny",
        "goodbye",
        "still_not_working",
        "bot_challenge",
        "affirm",
        "greet",
        "thank",
        "frustration",
        "ask_user_code",
    }
)


def _previous_value(tracker: Tracker, slot: str) -> Any:
    """The value `slot` had before the person's latest message."""
    seen_user_message = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user_message = True
        elif seen_user_message and event.get("event") == "slot" and event.get("name") == slot:
            return event.get("value")
    return None


class _AccountFormValidation(FormValidationAction, abc.ABC):
    """Shared extraction and validation for `user_code` and `email`."""

    # Abstract, so the action server does not register this base class as an action.
    @abc.abstractmethod
    def name(self) -> str: ...

    @staticmethod
    def _answer(tracker: Tracker, slot: str) -> str | None:
        """The person's raw text when it answers the question about `slot`."""
        if tracker.get_slot("requested_slot") != slot:
            return None
        text = latest_text(tracker).strip()
        if not text or text.startswith("/"):
            return None
        # Something with an "@" is an attempt at the address, whatever the intent says
        # ("nom@exemple" reads like nothing the model knows).
        if latest_intent(tracker) in NOT_AN_ANSWER and not (slot == "email" and "@" in text):
            return None
        return text

    async def extract_user_code(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("user_code"):
            return {}
        text = self._answer(tracker, "user_code")
        if text is None:
            return {}
        # "c'est jtremblay" / "my code is JT-01": the last word is the code.
        return {"user_code": text.split()[-1].strip(".,;!?\"'«»")}

    async def extract_email(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("email"):
            return {}
        text = self._answer(tracker, "email")
        if text is None:
            return {}
        return {"email": find_email(text) or text}

    def validate_user_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = str(value or "").strip()
        if is_valid_user_code(code):
            return {"user_code": code}
        if tracker.get_slot("requested_slot") not in ("user_code", None):
            # Picked out of an answer to another question ("nom@exemple" while the email
            # is asked for): not what the person meant to give, so it changes nothing.
            return {"user_code": _previous_value(tracker, "user_code")}
        return self._reject("user_code", "utter_invalid_user_code", dispatcher, tracker)

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        email = str(value or "").strip().lower()
        if "***" in email:
            # A masked address kept from an earlier request is not an answer: ask again.
            return {"email": None}
        if is_valid_email(email):
            return {"email": email}
        if tracker.get_slot("requested_slot") not in ("email", None):
            return {"email": _previous_value(tracker, "email")}
        return self._reject("email", "utter_invalid_email", dispatcher, tracker)

    @staticmethod
    def _reject(
        slot: str, response: str, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> dict[str, Any]:
        attempts = int(tracker.get_slot("form_attempts") or 0) + 1
        if attempts < MAX_ATTEMPTS:
            dispatcher.utter_message(response=response)
            return {slot: None, "form_attempts": attempts}
        # Second bad answer: stop asking and offer a person instead.
        dispatcher.utter_message(response="utter_form_gave_up")
        return {slot: None, "form_attempts": 0, "requested_slot": None, "pending": "offer_support"}


class ValidatePasswordResetForm(_AccountFormValidation):
    """Validates `password_reset_form` (user code, then email)."""

    def name(self) -> str:
        return "validate_password_reset_form"


class ValidateUserCodeReminderForm(_AccountFormValidation):
    """Validates `user_code_reminder_form` (email)."""

    def name(self) -> str:
        return "validate_user_code_reminder_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        return ["email"]
