"""A question in the middle of a flow is answered, then the open question asked again."""

from __future__ import annotations

from actions.digressions import ActionAnswerQuestion
from tests.actions.conftest import responses


async def run(make_tracker, dispatcher, domain, **kwargs):
    return await ActionAnswerQuestion().run(
        dispatcher, make_tracker(intent="ask_user_code", **kwargs), domain
    )


async def test_inside_a_form_the_form_asks_again(make_tracker, dispatcher, domain):
    events = await run(make_tracker, dispatcher, domain, active_loop="password_reset_form")
    assert responses(dispatcher) == ["utter_explain_user_code"]
    assert events == []


async def test_after_the_offer_the_offer_comes_again(make_tracker, dispatcher, domain):
    await run(make_tracker, dispatcher, domain, slots={"pending": "offer_reset"})
    assert responses(dispatcher) == ["utter_explain_user_code", "utter_resume_offer_reset"]


async def test_during_a_step_that_step_is_asked_about_again(make_tracker, dispatcher, domain):
    await run(
        make_tracker, dispatcher, domain, slots={"pending": "troubleshooting", "troubleshooting_step": "2"}
    )
    assert responses(dispatcher) == ["utter_explain_user_code", "utter_step_browsers_resume"]


async def test_out_of_any_flow_only_the_answer(make_tracker, dispatcher, domain):
    await run(make_tracker, dispatcher, domain)
    assert responses(dispatcher) == ["utter_explain_user_code"]
