"""Limits keyed on the person, not on the proxy in front of the hub (finding 3 of issue 14).

Behind a reverse proxy every request comes from the proxy's address; with
``GEM_TRUSTED_PROXIES`` the hub reads the client from ``X-Forwarded-For`` (the right-most
hop that is not a trusted proxy), groups IPv6 by /64, and ignores the header from anyone
else. The reset limit counts the user code *with* the email, one address may hold
only so many chats open, and open only so many new conversations an hour.
"""

from __future__ import annotations

import asyncio
import dataclasses

import aiohttp
import pytest
import socketio
from aiohttp.test_utils import TestClient

from bot.settings import Settings
from tests.bot.accounts.conftest import JULIE, MovableClock, csrf_in, post_internal, reset_body, start_hub
from tests.bot.conftest import ClientFactory, hello
from tools.stack import free_port


async def forgot(hub: TestClient, client: str | None, email: str) -> int:
    """The login page's forgot-user-code form, sent through a proxy for ``client``."""
    headers = {"X-Forwarded-For": client} if client else {}
    async with hub.get("/forgot-user-code", headers=headers) as page:
        token = csrf_in(await page.text())
    form = {"csrf": token, "email": email}
    async with hub.post("/forgot-user-code", data=form, headers=headers) as response:
        return response.status


async def limited_hub(
    aiohttp_client: ClientFactory, account_settings: Settings, clock: MovableClock, **changes: object
) -> TestClient:
    settings = dataclasses.replace(account_settings, account_mail_per_conversation=2, **changes)
    return await start_hub(aiohttp_client, settings, clock)


async def test_behind_a_trusted_proxy_each_person_has_their_own_limit(
    aiohttp_client: ClientFactory, account_settings: Settings, clock: MovableClock
) -> None:
    hub = await limited_hub(aiohttp_client, account_settings, clock, trusted_proxies=("127.0.0.1",))
    assert [await forgot(hub, "203.0.113.1", f"a{i}@example.com") for i in range(3)] == [200, 200, 429]
    # Somebody else behind the same proxy is not locked out by the first person.
    assert await forgot(hub, "203.0.113.2", "b@example.com") == 200
    # What a client writes on the left of the header proves nothing: nginx appends the
    # address it saw, and that one is used.
    assert await forgot(hub, "198.51.100.50, 203.0.113.1", "c@example.com") == 429


async def test_without_trusted_proxies_the_header_is_ignored(
    aiohttp_client: ClientFactory, account_settings: Settings, clock: MovableClock
) -> None:
    hub = await limited_hub(aiohttp_client, account_settings, clock)
    statuses = [await forgot(hub, f"203.0.113.{i}", f"a{i}@example.com") for i in range(3)]
    assert statuses == [200, 200, 429]  # inventing addresses does not escape the limit


async def test_ipv6_clients_are_grouped_by_64(
    aiohttp_client: ClientFactory, account_settings: Settings, clock: MovableClock
) -> None:
    hub = await limited_hub(aiohttp_client, account_settings, clock, trusted_proxies=("127.0.0.0/8", "::1"))
    assert await forgot(hub, "2001:db8:1:2::1", "a@example.com") == 200
    assert await forgot(hub, "2001:db8:1:2:ffff:ffff:ffff:9", "b@example.com") == 200
    assert await forgot(hub, "[2001:db8:1:2::77]:4711", "c@example.com") == 429  # same /64
    assert await forgot(hub, "2001:db8:1:3::1", "d@example.com") == 200  # another /64


async def test_someone_elses_user_code_does_not_use_up_their_resets(
    aiohttp_client: ClientFactory, account_settings: Settings, clock: MovableClock
) -> None:
    hub = await start_hub(
        aiohttp_client, dataclasses.replace(account_settings, account_mail_per_account=3), clock
    )
    for i in range(5):  # five guesses of Julie's address, from five conversations
        body = reset_body(JULIE.user_code, f"guess{i}@example.com", conversation_id=f"attacker-{i}")
        status, _, _ = await post_internal(hub, "password-reset", body)
        assert status == 202
    status, _, _ = await post_internal(
        hub, "password-reset", reset_body(JULIE.user_code, JULIE.email, conversation_id="julie")
    )
    assert status == 202  # Julie's own request still goes out


async def test_one_address_can_hold_only_so_many_chats(
    aiohttp_client: ClientFactory, account_settings: Settings, clock: MovableClock
) -> None:
    hub = await start_hub(
        aiohttp_client, dataclasses.replace(account_settings, max_chats_per_client=2), clock
    )
    first, second = await hub.ws_connect("/ws"), await hub.ws_connect("/ws")
    await hello(first)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await hub.ws_connect("/ws")
    assert refused.value.status == 429
    await first.close()
    third = await hub.ws_connect("/ws")  # a closed chat frees its place
    await hello(third)
    await second.close()
    await third.close()


async def new_chat(
    hub: TestClient, language: str = "fr", client: str | None = None, **fields: object
) -> dict:
    """The first frame a new widget connection gets back for its hello."""
    headers = {"X-Forwarded-For": client} if client else {}
    async with hub.ws_connect("/ws", headers=headers) as ws:
        await ws.send_json({"type": "hello", "conversation_id": None, "language": language, **fields})
        return await ws.receive_json(timeout=10)


async def test_one_address_can_open_only_so_many_new_conversations(
    aiohttp_client: ClientFactory, account_settings: Settings, clock: MovableClock
) -> None:
    settings = dataclasses.replace(
        account_settings, max_new_conversations_per_client=3, trusted_proxies=("127.0.0.1",)
    )
    first_hub = await start_hub(aiohttp_client, settings, clock)
    # A second hub process on the same database counts the same conversations.
    second_hub = await start_hub(
        aiohttp_client, dataclasses.replace(settings, internal_port=free_port()), clock
    )
    welcomes = [await new_chat(hub, client="203.0.113.9") for hub in (first_hub, first_hub, second_hub)]
    assert [frame["type"] for frame in welcomes] == ["welcome"] * 3
    refused = await new_chat(first_hub, client="203.0.113.9")
    assert refused == {
        "type": "error",
        "code": "rate_limited",
        "message": "Trop de nouvelles conversations ont été ouvertes depuis votre connexion. "
        "Réessayez plus tard ou écrivez-nous à soutien@gem-books.com.",
    }
    english = await new_chat(second_hub, "en", client="203.0.113.9")
    assert english["code"] == "rate_limited" and english["message"].startswith("Too many new conversations")
    # Going back to a conversation one has is not a new one; another person is not limited.
    again = await new_chat(first_hub, client="203.0.113.9", conversation_id=welcomes[0]["conversation_id"])
    assert again["type"] == "welcome" and again["conversation_id"] == welcomes[0]["conversation_id"]
    assert (await new_chat(first_hub, client="203.0.113.10"))["type"] == "welcome"
    # An hour later the address may start again.
    clock.advance(seconds=3601)
    assert (await new_chat(first_hub, client="203.0.113.9"))["type"] == "welcome"


@pytest.mark.usefixtures("engineio_client_compat")
async def test_socketio_clients_share_the_new_conversation_limit(
    aiohttp_client: ClientFactory, account_settings: Settings, clock: MovableClock
) -> None:
    hub = await start_hub(
        aiohttp_client, dataclasses.replace(account_settings, max_new_conversations_per_client=1), clock
    )
    assert (await new_chat(hub))["type"] == "welcome"  # the widget used up the address's one
    chat = socketio.AsyncClient(reconnection=False)
    uttered: asyncio.Queue[dict] = asyncio.Queue()
    confirmed: asyncio.Queue[object] = asyncio.Queue()
    chat.on("bot_uttered", uttered.put_nowait)
    chat.on("session_confirm", confirmed.put_nowait)
    await chat.connect(str(hub.make_url("/")), socketio_path="socket.io", wait_timeout=10)
    try:
        await chat.emit("session_request", {"session_id": None})
        said = await asyncio.wait_for(uttered.get(), 10)
        assert said["text"].startswith("Trop de nouvelles conversations")
        await chat.emit(
            "user_uttered", {"message": "allo", "session_id": None, "customData": {"language": "en"}}
        )
        said = await asyncio.wait_for(uttered.get(), 10)
        assert said["text"].startswith("Too many new conversations")
        assert confirmed.empty() and chat.connected
    finally:
        await chat.disconnect()
