"""The article's troubleshooting sequence, one step at a time, from where the person is.

Article 1103 gives four things to try, in this order. Each step ends with "did that
work?"; "yes" ends the sequence, "no" moves to the next step, and after the last step the
conversation goes to support. Questions about one step ("how do I clear the cache?",
"which browser?") jump straight to it and continue from there; a question about the step
already on screen ("where is the CONNEXION button?" during step 1) is answered and the
same step asked about again.

Steps the person says they already did ("j'ai déjà vidé la cache", actions/steps_done.py)
are recorded in `steps_tried` and never shown again in the conversation: the sequence
goes on after the furthest step tried.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import latest_intent, latest_text
from actions.handoff import escalate
from actions.steps_done import steps_done
from actions.tone import is_frustrated

__all__ = ["STEPS", "ActionTroubleshoot", "advance", "current_step", "resume_prompt"]

# (step name, response) in the article's order; steps are numbered from 1.
STEPS: tuple[tuple[str, str], ...] = (
    ("main_site", "utter_step_main_site"),
    ("browsers", "utter_step_browsers"),
    ("clear_data", "utter_step_clear_data"),
    ("restart", "utter_step_restart"),
)
STEP_NUMBER = {name: number for number, (name, _) in enumerate(STEPS, start=1)}
CLEAR_DATA_STEP = STEP_NUMBER["clear_data"]

# Where a question enters the sequence.
ENTRY_STEP = {
    "login_problem": 1,
    "bookmark_help": 1,
    "browser_recommendation": 2,
    "clear_browser_data": CLEAR_DATA_STEP,
}
# Questions about what the step on screen asks for get a short answer, and the same step
# is asked about again: the CONNEXION button is in steps 1 and 4, the browsers in step 2
# (a question about clearing data while on step 3 shows step 3 again, for the browser).
EXPLAIN = {
    "bookmark_help": ("utter_explain_connexion_button", (1, 4)),
    "browser_recommendation": ("utter_explain_browsers", (2,)),
}
NEGATIVE = ("deny", "still_not_working", "frustration")
CLEAR_DATA_BY_BROWSER = {"chrome": "utter_step_clear_data_chrome", "firefox": "utter_step_clear_data_firefox"}


def current_step(tracker: Tracker) -> int:
    try:
        return int(tracker.get_slot("troubleshooting_step") or 0)
    except (TypeError, ValueError):
        return 0


def _furthest_tried(tried: list[str]) -> int:
    """The highest step number in `steps_tried` (0 when none)."""
    numbers = [STEP_NUMBER.get(str(entry).partition(":")[0], 0) for entry in tried]
    return max(numbers, default=0)


def _record_done_before(tracker: Tracker, tried: list[str]) -> list[str]:
    """`tried` plus the steps the person's message says they already did."""
    already = {str(entry).partition(":")[0] for entry in tried}
    named = steps_done(latest_text(tracker))
    return [*tried, *(f"{name}:failed" for name, _ in STEPS if name in named and name not in already)]


# Asks again whether a step worked, after a digression.
RESUME_STEP = {
    1: "utter_step_main_site_resume",
    2: "utter_step_browsers_resume",
    3: "utter_step_clear_data_resume",
    4: "utter_step_restart_resume",
}


def resume_prompt(step: int) -> str:
    """The response that asks again whether step `step` worked, after a digression."""
    return RESUME_STEP[step]


async def advance(dispatcher: CollectingDispatcher, tracker: Tracker, intent: str | None) -> list[EventType]:
    """Shows the next useful step for the person's latest message, or ends the sequence.

    ``intent`` is "frustration" when the caller already acknowledged the person's anger;
    otherwise a frustrated "ça marche toujours pas" is acknowledged here first.
    """
    if intent != "frustration" and is_frustrated(tracker):
        dispatcher.utter_message(response="utter_frustration_ack")
    step = current_step(tracker)
    pending = tracker.get_slot("pending")
    tried = list(tracker.get_slot("steps_tried") or [])

    if intent in ENTRY_STEP:
        entry = ENTRY_STEP[intent]
        explanation, on_steps = EXPLAIN.get(intent, ("", ()))
        if pending == "troubleshooting" and step in on_steps:
            dispatcher.utter_message(response=explanation)
            dispatcher.utter_message(response=resume_prompt(step))
            return [SlotSet("pending", "troubleshooting")]
        if intent == "login_problem":
            # A general "I can't log in" goes on from what was already tried.
            tried = _record_done_before(tracker, tried)
            return await _show_or_escalate(dispatcher, tracker, max(entry, _furthest_tried(tried) + 1), tried)
        return _show(dispatcher, tracker, entry, tried)
    if pending == "ask_browser":
        # The browser came as an answer (or "I don't know"): give step 3 for it.
        return _show(dispatcher, tracker, CLEAR_DATA_STEP, tried, browser_known=True)
    if step and intent == "affirm":
        dispatcher.utter_message(response="utter_troubleshooting_solved")
        return [
            SlotSet("steps_tried", [*tried, f"{STEPS[step - 1][0]}:solved"]),
            SlotSet("troubleshooting_step", None),
            SlotSet("pending", None),
        ]
    if step and intent == "inform" and step == CLEAR_DATA_STEP:
        # "I'm on Firefox" while on step 3: the same step, for that browser.
        return _show(dispatcher, tracker, step, tried, browser_known=True)
    if step and (intent in NEGATIVE or intent == "inform"):
        name = STEPS[step - 1][0]
        if f"{name}:failed" not in tried:
            tried.append(f"{name}:failed")
    # "Still not working", "I already cleared the cache": on from the furthest step tried.
    tried = _record_done_before(tracker, tried)
    return await _show_or_escalate(dispatcher, tracker, _furthest_tried(tried) + 1, tried)


async def _show_or_escalate(
    dispatcher: CollectingDispatcher, tracker: Tracker, step: int, tried: list[str]
) -> list[EventType]:
    if step <= len(STEPS):
        return _show(dispatcher, tracker, step, tried)
    dispatcher.utter_message(response="utter_troubleshooting_exhausted")
    return [
        SlotSet("steps_tried", tried),
        SlotSet("troubleshooting_step", None),
        *(await escalate(dispatcher, tracker, "troubleshooting_exhausted", steps_tried=tried)),
    ]


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
        return await advance(dispatcher, tracker, latest_intent(tracker))
