"""The internal API (for the action server) lives on a loopback listener of its own, and
checks that the conversation it acts for exists (finding 5 of issue 14)."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from bot.appkeys import OUTBOX, STORE
from bot.settings import Settings
from tests.bot.accounts.conftest import INTERNAL_TOKEN, JULIE, post_internal, reset_body
from tests.bot.conftest import internal_url

AUTH = {"Authorization": f"Bearer {INTERNAL_TOKEN}"}
INTERNAL_PATHS = [
    "/internal/handoffs",
    "/internal/accounts/password-reset",
    "/internal/accounts/user-code-reminder",
]


@pytest.mark.parametrize("path", INTERNAL_PATHS)
async def test_the_public_port_has_no_internal_api(accounts_hub: TestClient, path: str) -> None:
    conversation = await accounts_hub.app[STORE].create("fr", "widget")
    body = {**reset_body(JULIE.user_code, JULIE.email), "conversation_id": conversation.id}
    async with accounts_hub.post(path, json=body, headers=AUTH) as response:
        assert response.status == 404
    async with accounts_hub.session.post(
        internal_url(accounts_hub, path), json=body, headers=AUTH
    ) as response:
        assert response.status != 404  # the same call on the internal listener is heard


async def test_the_internal_listener_serves_nothing_else(accounts_hub: TestClient) -> None:
    for path in ("/", "/demo", "/login", "/console", "/healthz", "/static/widget.js"):
        async with accounts_hub.session.get(internal_url(accounts_hub, path)) as response:
            assert response.status == 404, path


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "8.8.8.8", "2a00:1450::1", "support.gem-books.com"])
def test_the_internal_listener_is_never_public(host: str) -> None:
    with pytest.raises(ValueError, match="GEM_INTERNAL_HOST"):
        Settings(internal_host=host)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "10.0.0.5", "192.168.1.20"])
def test_loopback_or_a_private_network_is_fine(host: str) -> None:
    assert Settings(internal_host=host).internal_host == host


@pytest.mark.parametrize("endpoint", ["password-reset", "user-code-reminder"])
async def test_an_unknown_conversation_spends_no_mail(accounts_hub: TestClient, endpoint: str) -> None:
    body = {**reset_body(JULIE.user_code, JULIE.email), "conversation_id": "N" * 32}
    status, answer, _ = await post_internal(accounts_hub, endpoint, body, raw_conversation=True)
    assert (status, answer["error"]) == (404, "unknown_conversation")
    assert await accounts_hub.app[OUTBOX].counts() == {}


@pytest.mark.parametrize("path", INTERNAL_PATHS)
@pytest.mark.parametrize("token", [None, "", "wrong-token", INTERNAL_TOKEN + "x"])
async def test_every_internal_route_refuses_a_missing_or_wrong_token_with_one_json_shape(
    accounts_hub: TestClient, path: str, token: str | None
) -> None:
    conversation = await accounts_hub.app[STORE].create("fr", "widget")
    body = {**reset_body(JULIE.user_code, JULIE.email), "conversation_id": conversation.id, "reason": "email"}
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    async with accounts_hub.session.post(
        internal_url(accounts_hub, path), json=body, headers=headers
    ) as response:
        assert response.status == 401
        assert response.content_type == "application/json"
        assert await response.json() == {
            "error": "unauthorized",
            "message": "missing or wrong internal token",
        }
    assert await accounts_hub.app[OUTBOX].counts() == {}


@pytest.mark.parametrize("path", INTERNAL_PATHS)
@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '"a string"', ""])
async def test_every_internal_route_answers_a_body_that_is_not_a_json_object_with_a_json_400(
    accounts_hub: TestClient, path: str, body: str
) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    async with accounts_hub.session.post(
        internal_url(accounts_hub, path), data=body, headers=headers
    ) as response:
        assert response.status == 400
        assert response.content_type == "application/json"
        assert await response.json() == {"error": "bad_request", "message": "the body must be a JSON object"}


@pytest.mark.parametrize("path", INTERNAL_PATHS)
async def test_every_internal_route_names_a_malformed_field_the_same_way(
    accounts_hub: TestClient, path: str
) -> None:
    conversation = await accounts_hub.app[STORE].create("fr", "widget")
    body = {
        "conversation_id": conversation.id,
        "email": "not-an-address",
        "user_code": "JT01",
        "reason": "x\r\ny",
    }
    async with accounts_hub.session.post(
        internal_url(accounts_hub, path), json=body, headers=AUTH
    ) as response:
        assert response.status == 422
        answer = await response.json()
        assert answer["error"] == "invalid_field" and answer["field"] and answer["field"] in answer["message"]
