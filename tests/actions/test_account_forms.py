"""The forms take free-text answers, check their shape, allow one retry, then offer support."""

from __future__ import annotations

from actions.account_forms import ValidatePasswordResetForm, ValidateUserCodeReminderForm
from tests.actions.conftest import responses, slot_events


def answer(make_tracker, requested: str, text: str, intent: str = "inform", **slots):
    # As Rasa sends it: the person's message, then the form asks the validator.
    return make_tracker(
        intent=intent,
        text=text,
        slots={"requested_slot": requested, **slots},
        active_loop="password_reset_form",
        events=[{"event": "user", "text": text}],
    )


async def test_a_bare_user_code_is_taken(make_tracker, dispatcher, domain):
    events = await ValidatePasswordResetForm().run(
        dispatcher, answer(make_tracker, "user_code", "JTREMBLAY01", intent="out_of_scope"), domain
    )
    assert slot_events(events)["user_code"] == "JTREMBLAY01"
    assert dispatcher.messages == []


async def test_a_code_after_a_lead_in_is_taken(make_tracker, dispatcher, domain):
    events = await ValidatePasswordResetForm().run(
        dispatcher, answer(make_tracker, "user_code", "c'est mgagnon"), domain
    )
    assert slot_events(events)["user_code"] == "mgagnon"


async def test_a_bad_code_is_refused_once_then_support_is_offered(make_tracker, dispatcher, domain):
    first = await ValidatePasswordResetForm().run(dispatcher, answer(make_tracker, "user_code", "!!"), domain)
    assert slot_events(first) == {"user_code": None, "form_attempts": 1}
    assert responses(dispatcher) == ["utter_invalid_user_code"]

    second = await ValidatePasswordResetForm().run(
        dispatcher, answer(make_tracker, "user_code", "??", form_attempts=1), domain
    )
    slots = slot_events(second)
    assert slots["requested_slot"] is None  # ends the form
    assert slots["pending"] == "offer_support"
    assert responses(dispatcher)[-1] == "utter_form_gave_up"


async def test_an_email_inside_a_sentence_is_found_and_lowercased(make_tracker, dispatcher, domain):
    events = await ValidatePasswordResetForm().run(
        dispatcher,
        answer(make_tracker, "email", "mon courriel c'est Marie.Gagnon@Videotron.ca", user_code="mg1"),
        domain,
    )
    assert slot_events(events)["email"] == "marie.gagnon@videotron.ca"


async def test_an_invalid_email_is_refused(make_tracker, dispatcher, domain):
    events = await ValidatePasswordResetForm().run(
        dispatcher, answer(make_tracker, "email", "marie at videotron", user_code="mg1"), domain
    )
    assert slot_events(events)["email"] is None
    assert responses(dispatcher) == ["utter_invalid_email"]


async def test_a_typed_intent_payload_meets_the_same_checks(make_tracker, dispatcher, domain):
    # `/forgot_password{"email": "x@y"}` pre-fills the slot; Rasa validates it like text.
    tracker = make_tracker(
        intent="forgot_password",
        text='/forgot_password{"email": "x@y"}',
        slots={"requested_slot": None, "email": "x@y"},
        active_loop="password_reset_form",
        events=[{"event": "slot", "name": "email", "value": "x@y"}],
    )
    events = await ValidatePasswordResetForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["email"] is None
    assert responses(dispatcher) == ["utter_invalid_email"]


async def test_not_an_answer_is_left_to_the_rules(make_tracker, dispatcher, domain):
    events = await ValidatePasswordResetForm().run(
        dispatcher,
        answer(make_tracker, "user_code", "je connais pas mon code", intent="forgot_user_code"),
        domain,
    )
    assert "user_code" not in slot_events(events)


async def test_a_masked_address_is_asked_again(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        intent="forgot_user_code",
        slots={"email": "m***@exemple.ca"},
        active_loop="user_code_reminder_form",
        events=[{"event": "slot", "name": "email", "value": "m***@exemple.ca"}],
    )
    events = await ValidateUserCodeReminderForm().run(dispatcher, tracker, domain)
    assert slot_events(events)["email"] is None
    assert dispatcher.messages == []


async def test_a_mistyped_address_is_not_taken_for_a_bad_user_code(make_tracker, dispatcher, domain):
    # "nom@exemple" while the email is asked for: the model tags it as a user code too.
    tracker = make_tracker(
        intent="ask_user_code",  # what the model made of it; the "@" says it is an address
        text="nom@exemple",
        slots={"requested_slot": "email", "user_code": "nom@exemple"},
        active_loop="password_reset_form",
        events=[
            {"event": "slot", "name": "user_code", "value": "JTREMBLAY01"},
            {"event": "user", "text": "nom@exemple"},
            {"event": "slot", "name": "user_code", "value": "nom@exemple"},
        ],
    )
    events = await ValidatePasswordResetForm().run(dispatcher, tracker, domain)
    slots = slot_events(events)
    assert slots["user_code"] == "JTREMBLAY01"  # the code given before stays
    assert slots["email"] is None and slots["form_attempts"] == 1
    assert responses(dispatcher) == ["utter_invalid_email"]  # one message, about the address


async def test_a_question_about_the_user_code_is_not_taken_as_the_code(make_tracker, dispatcher, domain):
    events = await ValidatePasswordResetForm().run(
        dispatcher,
        answer(make_tracker, "user_code", "c'est quoi un code usager?", intent="ask_user_code"),
        domain,
    )
    assert "user_code" not in slot_events(events)
    assert dispatcher.messages == []
