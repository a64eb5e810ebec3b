"""Questions asked in the middle of a flow: answered, then back to where the person was.

"C'est quoi un code usager?" while the form asks for it, or right after the offer of a
reset email: the answer comes first, then the question that was open is asked again (a
form asks its own question again, see the rules in data/rules/digressions.yml).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import latest_intent
from actions.frustration import RESUME_OFFER
from actions.troubleshooting import current_step, resume_prompt

__all__ = ["ActionAnswerQuestion", "ANSWERS"]

# The answer to each question intent.
ANSWERS = {"ask_user_code": "utter_explain_user_code"}


class ActionAnswerQuestion(Action):
    """Answers a question about a step, then asks the open question again."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        response = ANSWERS.get(latest_intent(tracker) or "")
        if response:
            dispatcher.utter_message(response=response)
        if tracker.active_loop.get("name"):
            return []  # the form asks its question again
        pending = tracker.get_slot("pending")
        if pending in RESUME_OFFER:
            dispatcher.utter_message(response=RESUME_OFFER[pending])
        elif tracker.get_slot("pending") == "troubleshooting" and (step := current_step(tracker)):
            dispatcher.utter_message(response=resume_prompt(step))
        return []
