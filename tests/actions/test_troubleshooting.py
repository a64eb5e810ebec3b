"""The article's four steps, one at a time, with "did that work?" after each."""

from __future__ import annotations

from actions.troubleshooting import ActionTroubleshoot
from tests.actions.conftest import responses, slot_events


async def run(make_tracker, dispatcher, domain, **kwargs):
    return await ActionTroubleshoot().run(dispatcher, make_tracker(**kwargs), domain)


async def test_login_problem_starts_at_step_one(make_tracker, dispatcher, domain):
    events = await run(make_tracker, dispatcher, domain, intent="login_problem")
    assert responses(dispatcher) == ["utter_step_main_site"]
    assert slot_events(events)["troubleshooting_step"] == "1"
    assert slot_events(events)["pending"] == "troubleshooting"


async def test_no_moves_to_the_next_step_and_remembers_what_failed(make_tracker, dispatcher, domain):
    events = await run(
        make_tracker,
        dispatcher,
        domain,
        intent="deny",
        slots={"troubleshooting_step": "1", "pending": "troubleshooting"},
    )
    assert responses(dispatcher) == ["utter_step_browsers"]
    slots = slot_events(events)
    assert slots["troubleshooting_step"] == "2"
    assert slots["steps_tried"] == ["main_site:failed"]


async def test_step_three_asks_the_browser_when_unknown(make_tracker, dispatcher, domain):
    events = await run(
        make_tracker,
        dispatcher,
        domain,
        intent="still_not_working",
        slots={"troubleshooting_step": "2", "pending": "troubleshooting"},
    )
    assert responses(dispatcher) == ["utter_ask_browser"]
    assert slot_events(events)["pending"] == "ask_browser"


async def test_step_three_gives_the_browser_specific_steps(make_tracker, dispatcher, domain):
    await run(
        make_tracker,
        dispatcher,
        domain,
        intent="inform",
        slots={"troubleshooting_step": "3", "pending": "ask_browser", "browser": "firefox"},
    )
    assert responses(dispatcher) == ["utter_step_clear_data_firefox"]


async def test_step_three_uses_the_browser_known_from_the_widget(make_tracker, dispatcher, domain):
    await run(make_tracker, dispatcher, domain, intent="clear_browser_data", slots={"browser": "chrome"})
    assert responses(dispatcher) == ["utter_step_clear_data_chrome"]


async def test_unknown_browser_gets_the_generic_steps(make_tracker, dispatcher, domain):
    await run(
        make_tracker,
        dispatcher,
        domain,
        intent="deny",
        slots={"troubleshooting_step": "3", "pending": "ask_browser"},
    )
    assert responses(dispatcher) == ["utter_step_clear_data_other"]


async def test_yes_ends_the_sequence(make_tracker, dispatcher, domain):
    events = await run(
        make_tracker,
        dispatcher,
        domain,
        intent="affirm",
        slots={
            "troubleshooting_step": "2",
            "pending": "troubleshooting",
            "steps_tried": ["main_site:failed"],
        },
    )
    assert responses(dispatcher) == ["utter_troubleshooting_solved"]
    slots = slot_events(events)
    assert slots["steps_tried"] == ["main_site:failed", "browsers:solved"]
    assert slots["troubleshooting_step"] is None and slots["pending"] is None


async def test_no_after_the_last_step_hands_over_to_support(make_tracker, dispatcher, domain):
    events = await run(
        make_tracker,
        dispatcher,
        domain,
        intent="deny",
        slots={"troubleshooting_step": "4", "pending": "troubleshooting"},
    )
    assert responses(dispatcher) == ["utter_troubleshooting_exhausted", "utter_handoff"]
    slots = slot_events(events)
    assert slots["handoff_reason"] == "troubleshooting_exhausted"
    assert slots["steps_tried"] == ["restart:failed"]


async def test_browser_question_enters_at_step_two(make_tracker, dispatcher, domain):
    events = await run(make_tracker, dispatcher, domain, intent="browser_recommendation")
    assert responses(dispatcher) == ["utter_step_browsers"]
    assert slot_events(events)["troubleshooting_step"] == "2"


async def test_every_step_response_exists_in_both_languages(domain):
    names = [
        "utter_step_main_site",
        "utter_step_browsers",
        "utter_ask_browser",
        "utter_step_clear_data_chrome",
        "utter_step_clear_data_firefox",
        "utter_step_clear_data_other",
        "utter_step_restart",
    ]
    for name in names:
        variants = domain["responses"][name]
        assert any("condition" not in v for v in variants), name
        assert any(c.get("value") == "en" for v in variants for c in v.get("condition", [])), name


async def test_what_was_already_done_is_skipped(make_tracker, dispatcher, domain):
    events = await run(
        make_tracker,
        dispatcher,
        domain,
        intent="still_not_working",
        text="I emptied the browsing data already, no luck",
    )
    assert responses(dispatcher) == ["utter_step_restart"]
    slots = slot_events(events)
    assert slots["troubleshooting_step"] == "4"
    assert slots["steps_tried"] == ["clear_data:failed"]


async def test_a_login_problem_goes_on_after_the_steps_already_tried(make_tracker, dispatcher, domain):
    events = await run(
        make_tracker,
        dispatcher,
        domain,
        intent="login_problem",
        text="je peux pas me connecter, j'ai déjà essayé avec Chrome et Firefox",
    )
    assert responses(dispatcher) == ["utter_ask_browser"]  # step 3 needs the browser
    assert slot_events(events)["steps_tried"] == ["browsers:failed"]


async def test_steps_tried_earlier_in_the_conversation_are_not_shown_again(make_tracker, dispatcher, domain):
    await run(
        make_tracker,
        dispatcher,
        domain,
        intent="login_problem",
        slots={"steps_tried": ["main_site:failed", "browsers:failed"], "browser": "firefox"},
    )
    assert responses(dispatcher) == ["utter_step_clear_data_firefox"]


async def test_everything_already_tried_goes_to_support(make_tracker, dispatcher, domain):
    events = await run(make_tracker, dispatcher, domain, intent="still_not_working", text="j'ai tout essayé")
    assert responses(dispatcher)[0] == "utter_troubleshooting_exhausted"
    assert slot_events(events)["handoff_reason"] == "troubleshooting_exhausted"


async def test_a_question_about_the_step_on_screen_is_answered_and_the_step_kept(
    make_tracker, dispatcher, domain
):
    events = await run(
        make_tracker,
        dispatcher,
        domain,
        intent="bookmark_help",
        text="where is the CONNEXION button?",
        slots={"troubleshooting_step": "1", "pending": "troubleshooting"},
    )
    assert responses(dispatcher) == ["utter_explain_connexion_button", "utter_step_main_site_resume"]
    assert slot_events(events) == {"pending": "troubleshooting"}


async def test_a_frustrated_no_is_acknowledged_before_the_next_step(make_tracker, dispatcher, domain):
    await run(
        make_tracker,
        dispatcher,
        domain,
        intent="still_not_working",
        text="voyons donc, c'est ben niaiseux, ça marche toujours pas",
        slots={"troubleshooting_step": "1", "pending": "troubleshooting"},
    )
    assert responses(dispatcher) == ["utter_frustration_ack", "utter_step_browsers"]


async def test_a_plain_no_is_not_taken_for_frustration(make_tracker, dispatcher, domain):
    await run(
        make_tracker,
        dispatcher,
        domain,
        intent="deny",
        slots={"troubleshooting_step": "1", "pending": "troubleshooting"},
    )
    assert responses(dispatcher) == ["utter_step_browsers"]


async def test_the_connexion_button_asked_about_during_step_four_keeps_step_four(
    make_tracker, dispatcher, domain
):
    await run(
        make_tracker,
        dispatcher,
        domain,
        intent="bookmark_help",
        text="where is the CONNEXION button?",
        slots={"troubleshooting_step": "4", "pending": "troubleshooting"},
    )
    assert responses(dispatcher) == ["utter_explain_connexion_button", "utter_step_restart_resume"]


async def test_a_question_about_another_step_still_jumps_there(make_tracker, dispatcher, domain):
    await run(
        make_tracker,
        dispatcher,
        domain,
        intent="browser_recommendation",
        slots={"troubleshooting_step": "1", "pending": "troubleshooting"},
    )
    assert responses(dispatcher) == ["utter_step_browsers"]
