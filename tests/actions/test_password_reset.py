"""Sending the reset email and the user-code reminder through the account gateway.

The gateway is exercised against a real HTTP server standing in for the hub's internal
API, so the request, its authentication and every kind of failure go over the wire.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from actions.accounts import HubAccountGateway, mask_email
from actions.gateway import get_gateway
from actions.password_reset import ActionOfferPasswordReset, ActionSendPasswordReset
from actions.settings import ActionSettings, get_settings
from actions.user_code import ActionSendUserCodeReminder
from tests.actions.conftest import responses, slot_events

TOKEN = "test-internal-token"


class FakeHub:
    """Records what reaches `/internal/accounts/...` and answers as told."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 202
        self.delay = 0.0
        self.headers: dict[str, str] = {}
        self.keys: list[Any] = []

    async def handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"error": "unauthorised"}, status=401)
        self.keys.append(request.headers.get("Idempotency-Key"))
        self.requests.append({"path": request.path, **(await request.json())})
        await asyncio.sleep(self.delay)
        return web.json_response({}, status=self.status, headers=self.headers)


@pytest.fixture
async def hub(aiohttp_server, monkeypatch):
    fake = FakeHub()
    app = web.Application()
    app.router.add_post("/internal/accounts/{endpoint}", fake.handle)
    server = await aiohttp_server(app)
    monkeypatch.setenv("GEM_HUB_URL", str(server.make_url("")))
    monkeypatch.setenv("GEM_INTERNAL_TOKEN", TOKEN)
    monkeypatch.setenv("GEM_ACTIONS_TIMEOUT", "0.5")
    get_settings.cache_clear()
    get_gateway.cache_clear()
    yield fake
    get_settings.cache_clear()
    get_gateway.cache_clear()


def filled(make_tracker, **slots):
    return make_tracker(
        message_id="m-42",
        slots={"user_code": "JTREMBLAY01", "email": "julie@exemple.ca", "language": "fr", **slots},
    )


async def test_reset_request_reaches_the_hub_and_only_the_masked_address_stays(
    hub, make_tracker, dispatcher, domain
):
    events = await ActionSendPasswordReset().run(dispatcher, filled(make_tracker), domain)
    assert hub.requests == [
        {
            "path": "/internal/accounts/password-reset",
            "user_code": "JTREMBLAY01",
            "email": "julie@exemple.ca",
            "language": "fr",
            "conversation_id": "conv-test",
        }
    ]
    assert responses(dispatcher) == ["utter_password_reset_sent"]
    assert dispatcher.messages[0]["masked_email"] == "j***@exemple.ca"
    slots = slot_events(events)
    assert slots["email"] == "j***@exemple.ca"
    assert slots["reset_email_sent"] is True


async def test_rate_limit_tells_when_to_try_again(hub, make_tracker, dispatcher, domain):
    hub.status, hub.headers = 429, {"Retry-After": "600"}
    events = await ActionSendPasswordReset().run(dispatcher, filled(make_tracker), domain)
    assert responses(dispatcher) == ["utter_rate_limited"]
    assert dispatcher.messages[0]["retry_minutes"] == 10
    assert slot_events(events)["reset_email_sent"] is False


@pytest.mark.parametrize("status", [500, 503, 401])
async def test_hub_errors_give_the_fallback_advice(hub, make_tracker, dispatcher, domain, status):
    hub.status = status
    await ActionSendPasswordReset().run(dispatcher, filled(make_tracker), domain)
    assert responses(dispatcher) == ["utter_account_service_unavailable"]


async def test_a_hanging_hub_times_out(hub, make_tracker, dispatcher, domain):
    hub.delay = 2.0
    await ActionSendPasswordReset().run(dispatcher, filled(make_tracker), domain)
    assert responses(dispatcher) == ["utter_account_service_unavailable"]


async def test_a_hub_that_is_down_gives_the_fallback_advice(
    make_tracker, dispatcher, domain, unused_tcp_port, monkeypatch
):
    monkeypatch.setenv("GEM_HUB_URL", f"http://127.0.0.1:{unused_tcp_port}")
    get_settings.cache_clear()
    get_gateway.cache_clear()
    try:
        await ActionSendPasswordReset().run(dispatcher, filled(make_tracker), domain)
    finally:
        get_settings.cache_clear()
        get_gateway.cache_clear()
    assert responses(dispatcher) == ["utter_account_service_unavailable"]


async def test_wrong_token_is_refused_by_the_hub(hub):
    gateway = HubAccountGateway(ActionSettings(hub_url=get_settings().hub_url, internal_token="wrong"))
    outcome = await gateway.request_password_reset("a1b", "a@b.ca", "en", "c")
    assert outcome.status == "unavailable"
    assert hub.requests == []


async def test_user_code_reminder_reaches_the_hub(hub, make_tracker, dispatcher, domain):
    tracker = make_tracker(slots={"email": "bob@example.com", "language": "en"})
    events = await ActionSendUserCodeReminder().run(dispatcher, tracker, domain)
    assert hub.requests[0]["path"] == "/internal/accounts/user-code-reminder"
    assert hub.requests[0]["language"] == "en"
    assert responses(dispatcher) == ["utter_user_code_reminder_sent"]
    assert slot_events(events)["email"] == "b***@example.com"


async def test_an_abandoned_form_sends_nothing(hub, make_tracker, dispatcher, domain):
    events = await ActionSendPasswordReset().run(dispatcher, make_tracker(slots={"user_code": "abc"}), domain)
    assert events == [] and hub.requests == [] and dispatcher.messages == []


async def test_offer_clears_a_masked_address_from_an_earlier_request(make_tracker, dispatcher, domain):
    tracker = make_tracker(intent="forgot_password", slots={"email": "j***@exemple.ca"})
    events = await ActionOfferPasswordReset().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_offer_password_reset"]
    assert slot_events(events) == {"pending": "offer_reset", "form_attempts": 0, "email": None}


async def test_offer_with_code_and_address_given_says_what_it_will_use(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        intent="forgot_password", slots={"user_code": "JTREMBLAY01", "email": "julie.tremblay@example.com"}
    )
    await ActionOfferPasswordReset().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert message["response"] == "utter_offer_password_reset_known"
    assert message["user_code"] == "JTREMBLAY01" and message["masked_email"] == "j***@example.com"


async def test_a_second_request_does_not_offer_the_masked_address_as_known(make_tracker, dispatcher, domain):
    tracker = make_tracker(
        intent="forgot_password", slots={"user_code": "JTREMBLAY01", "email": "j***@example.com"}
    )
    events = await ActionOfferPasswordReset().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_offer_password_reset"]
    assert slot_events(events)["email"] is None  # asked again by the form


async def test_missing_reset_email_gets_its_own_explanation(make_tracker, dispatcher, domain):
    await ActionOfferPasswordReset().run(dispatcher, make_tracker(intent="reset_email_missing"), domain)
    assert responses(dispatcher) == ["utter_reset_email_missing"]


@pytest.mark.parametrize(
    "text",
    [
        "j'ai vérifié mes spams, rien",
        "toujours rien reçu, chu allé voir dans mes pourriels",
        "the reset email never came, I already checked spam",
        "nothing in my inbox, not even in junk",
    ],
)
async def test_no_telling_to_look_in_the_junk_folder_again(make_tracker, dispatcher, domain, text):
    tracker = make_tracker(intent="reset_email_missing", text=text)
    await ActionOfferPasswordReset().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_reset_email_missing_spam_checked"]


def test_mask_email_hides_the_local_part():
    assert mask_email("marie.gagnon@videotron.ca") == "m***@videotron.ca"
    assert mask_email("not-an-address") == "***"


async def test_the_request_carries_an_idempotency_key_per_message(hub, make_tracker, dispatcher, domain):
    await ActionSendPasswordReset().run(dispatcher, filled(make_tracker), domain)
    assert hub.keys == ["conv-test:m-42"]
