"""Anger is heard, a person offered at once, and the next useful step still given."""

from __future__ import annotations

from actions.frustration import ActionHandleFrustration
from tests.actions.conftest import responses, slot_events


async def run(make_tracker, dispatcher, domain, **kwargs):
    return await ActionHandleFrustration().run(
        dispatcher, make_tracker(intent="frustration", **kwargs), domain
    )


async def test_frustration_at_the_start_gets_the_offer_and_step_one(make_tracker, dispatcher, domain):
    events = await run(make_tracker, dispatcher, domain, text="tabarnak ça marche jamais")
    assert responses(dispatcher) == ["utter_frustration_ack", "utter_step_main_site"]
    assert slot_events(events)["pending"] == "troubleshooting"


async def test_frustration_on_a_step_counts_as_that_step_failing(make_tracker, dispatcher, domain):
    events = await run(
        make_tracker, dispatcher, domain, slots={"troubleshooting_step": "1", "pending": "troubleshooting"}
    )
    assert responses(dispatcher) == ["utter_frustration_ack", "utter_step_browsers"]
    assert slot_events(events)["steps_tried"] == ["main_site:failed"]


async def test_frustration_while_an_offer_is_open_asks_it_again(make_tracker, dispatcher, domain):
    events = await run(make_tracker, dispatcher, domain, slots={"pending": "offer_reset"})
    assert responses(dispatcher) == ["utter_frustration_ack", "utter_resume_offer_reset"]
    assert events == []


def test_the_acknowledgement_offers_a_person_in_both_languages(domain):
    for variant in domain["responses"]["utter_frustration_ack"]:
        assert [b["payload"] for b in variant["buttons"]] == ["/request_human"]
