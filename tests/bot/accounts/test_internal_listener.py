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
INTERNAL_PATHS = ["/internal/handoffs", "/internal/accounts/password-reset", "/internal/accounts/user-code-reminder"]


@pytest.mark.parametrize("path", INTERNAL_PATHS)
async def test_the_public_port_has_no_internal_api(accounts_hub: TestClient, path: str) -> None:
    conversation = await accounts_hub.app[STORE].create("fr", "widget")
    body = {**reset_body(JULIE.user_code, JULIE.email), "conversation_id": conversation.id}
    async with accounts_hub.post(path, json=body, headers=AUTH) as response:
        assert response.status == 404
    async with accounts_hub.session.post(internal_url(accounts_hub, path), json=body, headers=AUTH) as response:
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
