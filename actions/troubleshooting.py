"""The article's troubleshooting sequence, one step at a time.

Article 1103 gives four things to try, in this order. Each step ends with "did that
work?"; "yes" ends the sequence, "no" moves to the next step, and after the last step the
conversation goes to support. Questions about one step ("how do I clear the cache?",
"which browser?") jump straight to it and continue from there.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import latest_intent
from actions.handoff import escalate

__all__ = ["ActionTroubleshoot", "STEPS"]

# (step name, response) in the article's order; steps are numbered from 1.
STEPS: tuple[tuple[str, str], ...] = (
    ("main_site", "utter_step_main_site"),
    ("browsers", "utter_step_browsers"),
    ("clear_data", "utter_step_clear_data"),
    ("restart", "utter_step_restart"),
)
CLEAR_DATA_STEP = 3

# Where a question enters the sequence.
ENTRY_STEP = {
    "login_problem": 1,
    "bookmark_help": 1,
    "browser_recommendation": 2,
    "clear_browser_data": CLEAR_DATA_STEP,
}
NEGATIVE = ("deny", "still_not_working")
CLEAR_DATA_BY_BROWSER = {"chrome": "utter_step_clear_data_chrome", "firefox": "utter_step_clear_data_firefox"}


def _current_step(tracker: Tracker) -> int:
    try:
        return int(tracker.get_slot("troubleshooting_step") or 0)
    except (TypeError, ValueError):
        return 0


class ActionTroubleshoot(Action):
    """Shows the next troubleshooting step, or ends the sequence on "yes" or after step 4."""

    def name(self) -> str:
        return "action_troubleshoot"

    async def run(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[EventType]:
        intent = latest_intent(tracker)
        step = _current_step(tracker)
        pending = tracker.get_slot("pending")
        tried = list(tracker.get_slot("steps_tried") or [])

        if intent in ENTRY_STEP:
            return self._show(dispatcher, tracker, ENTRY_STEP[intent], tried)
        if pending == "ask_browser":
            # The browser came as an answer (or "I don't know"): give step 3 for it.
            return self._show(dispatcher, tracker, CLEAR_DATA_STEP, tried, browser_known=True)
        if step and intent == "affirm":
            dispatcher.utter_message(response="utter_troubleshooting_solved")
            return [
                SlotSet("steps_tried", [*tried, f"{STEPS[step - 1][0]}:solved"]),
                SlotSet("troubleshooting_step", None),
                SlotSet("pending", None),
            ]
        if step and (intent in NEGATIVE or intent == "inform"):
            if intent == "inform" and step == CLEAR_DATA_STEP:
                # "I'm on Firefox" while on step 3: the same step, for that browser.
                return self._show(dispatcher, tracker, step, tried, browser_known=True)
            tried.append(f"{STEPS[step - 1][0]}:failed")
            if step >= len(STEPS):
                dispatcher.utter_message(response="utter_troubleshooting_exhausted")
                return [
                    SlotSet("steps_tried", tried),
                    SlotSet("troubleshooting_step", None),
                    *(await escalate(dispatcher, tracker, "troubleshooting_exhausted", steps_tried=tried)),
                ]
            return self._show(dispatcher, tracker, step + 1, tried)
        # "Still not working" with no step open: start from the beginning.
        return self._show(dispatcher, tracker, 1, tried)

    @staticmethod
    def _show(
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        step: int,
        tried: list[str],
        browser_known: bool = False,
    ) -> list[EventType]:
        events: list[EventType] = [
            SlotSet("troubleshooting_step", str(step)),
            SlotSet("steps_tried", tried),
        ]
        response: str | None = STEPS[step - 1][1]
        if step == CLEAR_DATA_STEP:
            browser = tracker.get_slot("browser")
            if browser is None and not browser_known:
                dispatcher.utter_message(response="utter_ask_browser")
                return [*events, SlotSet("pending", "ask_browser")]
            response = CLEAR_DATA_BY_BROWSER.get(browser or "", "utter_step_clear_data_other")
        dispatcher.utter_message(response=response)
        return [*events, SlotSet("pending", "troubleshooting")]
