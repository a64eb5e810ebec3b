"""Session start, greeting, out-of-scope offers, fallback topics and escalation."""

from __future__ import annotations

from actions.conversation import browser_from_user_agent, normalise_language
from actions.fallback import ActionOfferLikelyTopics
from actions.greeting import ActionGreet
from actions.handoff import ActionAcknowledgeDecline, ActionEscalate, ActionOfferSupport
from actions.session import ActionSessionStart
from tests.actions.conftest import responses, slot_events

CHROME_UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)
EDGE_UA = CHROME_UA + " Edg/126.0"
FIREFOX_UA = "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_UA = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1"


def test_browsers_are_told_apart_by_user_agent():
    assert browser_from_user_agent(CHROME_UA) == "chrome"
    assert browser_from_user_agent(EDGE_UA) == "edge"
    assert browser_from_user_agent(FIREFOX_UA) == "firefox"
    assert browser_from_user_agent(SAFARI_UA) == "safari"
    assert browser_from_user_agent("") is None
    assert browser_from_user_agent(None) is None


def test_language_tags_are_normalised():
    assert normalise_language("fr-CA") == "fr"
    assert normalise_language("en_US") == "en"
    assert normalise_language("de") is None


async def test_session_start_takes_language_and_browser_from_the_widget(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        slots={"session_started_metadata": {"language": "en-CA", "user_agent": FIREFOX_UA}}
    )
    events = await ActionSessionStart().run(dispatcher, tracker, domain)
    assert events[0]["event"] == "session_started"
    assert events[-1]["event"] == "action" and events[-1]["name"] == "action_listen"
    slots = slot_events(events)
    assert slots["language"] == "en" and slots["browser"] == "firefox"


async def test_session_start_keeps_a_known_language(make_tracker, dispatcher, domain):
    tracker = make_tracker(slots={"language": "fr", "session_started_metadata": {"language": "en"}})
    events = await ActionSessionStart().run(dispatcher, tracker, domain)
    assert slot_events(events)["language"] == "fr"


async def test_greeting_mid_troubleshooting_welcomes_back(make_tracker, dispatcher, domain):
    await ActionGreet().run(
        dispatcher,
        make_tracker(intent="greet", slots={"troubleshooting_step": "2", "pending": "troubleshooting"}),
        domain,
    )
    assert responses(dispatcher) == ["utter_welcome_back"]


async def test_plain_greeting(make_tracker, dispatcher, domain):
    await ActionGreet().run(dispatcher, make_tracker(intent="greet"), domain)
    assert responses(dispatcher) == ["utter_greet"]


async def test_out_of_scope_offers_support(make_tracker, dispatcher, domain):
    events = await ActionOfferSupport().run(dispatcher, make_tracker(intent="out_of_scope"), domain)
    assert responses(dispatcher) == ["utter_out_of_scope"]
    assert slot_events(events)["pending"] == "offer_support"


async def test_escalation_records_why(make_tracker, dispatcher, domain):
    events = await ActionEscalate().run(dispatcher, make_tracker(intent="request_human"), domain)
    assert responses(dispatcher) == ["utter_handoff"]
    assert slot_events(events) == {"handoff_reason": "requested_by_person", "pending": None}


async def test_accepting_the_support_offer_keeps_the_offer_reason(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        intent="affirm", slots={"pending": "offer_support", "handoff_reason": "out_of_scope"}
    )
    events = await ActionEscalate().run(dispatcher, tracker, domain)
    assert slot_events(events)["handoff_reason"] == "out_of_scope"


async def test_declining_the_reset_explains_the_self_service_link(make_tracker, dispatcher, domain):
    events = await ActionAcknowledgeDecline().run(
        dispatcher, make_tracker(intent="deny", slots={"pending": "offer_reset"}), domain
    )
    assert responses(dispatcher) == ["utter_reset_declined"]
    assert slot_events(events)["pending"] is None


async def test_fallback_offers_the_two_likeliest_topics_and_support(make_tracker, dispatcher, domain):
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.5},
        {"name": "greet", "confidence": 0.3},
        {"name": "forgot_password", "confidence": 0.2},
        {"name": "reset_email_missing", "confidence": 0.15},
        {"name": "login_problem", "confidence": 0.1},
    ]
    tracker = make_tracker(intent="nlu_fallback", ranking=ranking, slots={"language": "en"})
    await ActionOfferLikelyTopics().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_fallback_topics"]
    buttons = dispatcher.messages[0]["buttons"]
    assert [b["payload"] for b in buttons] == ["/forgot_password", "/reset_email_missing", "/request_human"]
    assert buttons[0]["title"] == "Forgotten password"


async def test_second_fallback_in_a_row_offers_support(make_tracker, dispatcher, domain):
    miss = {"event": "user", "text": "blorp", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    tracker = make_tracker(intent="nlu_fallback", events=[miss, {"event": "bot"}, miss])
    events = await ActionOfferLikelyTopics().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_fallback_offer_support"]
    assert slot_events(events)["pending"] == "offer_support"
