"""Fault drills: a dependency goes away in the middle of a conversation and comes back.
Each time nothing the person wrote is lost and nothing is answered twice (issue 14).

SMTP down then back is drilled in tests/bot/mail/test_smtp_faults.py; the action server
down in tests/bot/test_relay.py.
"""

from __future__ import annotations

import dataclasses

from aiohttp.test_utils import TestServer

from bot.app import init_app
from bot.appkeys import STORE
from bot.settings import Settings
from tests.bot.conftest import ClientFactory, hello, of_type, say
from tests.bot.fake_rasa import FakeRasa
from tools.stack import free_port


async def test_rasa_killed_mid_conversation_then_back(aiohttp_client: ClientFactory, settings: Settings) -> None:
    fake, port = FakeRasa(), free_port()
    url = f"http://127.0.0.1:{port}"
    hub = await aiohttp_client(init_app(dataclasses.replace(settings, rasa_url=url, action_server_url=url)))
    rasa = TestServer(fake.app(), port=port)
    await rasa.start_server()
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws)
        assert of_type(await say(ws, "je n'arrive plus à me brancher"), "message")

        await rasa.close()  # Rasa dies
        frames = await say(ws, "ça ne marche toujours pas")
        [error] = of_type(frames, "error")
        assert error["code"] == "assistant_unavailable" and "soutien@gem-books.com" in error["message"]

        rasa = TestServer(fake.app(), port=port)  # and comes back on the same address
        await rasa.start_server()
        frames = await say(ws, "j'utilise Chrome")
        assert of_type(frames, "message") and not of_type(frames, "error")
    await rasa.close()
    transcript = await hub.app[STORE].transcript(welcome["conversation_id"])
    said = [m.text for m in transcript if m.author == "person"]
    assert said == ["je n'arrive plus à me brancher", "ça ne marche toujours pas", "j'utilise Chrome"]
    assert [c["message"] for c in fake.webhook_calls] == ["je n'arrive plus à me brancher", "j'utilise Chrome"]


async def test_hub_restarted_mid_conversation(aiohttp_client: ClientFactory, settings: Settings) -> None:
    fake, port = FakeRasa(), free_port()
    url = f"http://127.0.0.1:{port}"
    configured = dataclasses.replace(settings, rasa_url=url, action_server_url=url)
    rasa = TestServer(fake.app(), port=port)
    await rasa.start_server()
    try:
        first = await aiohttp_client(init_app(configured))
        async with first.ws_connect("/ws") as ws:
            welcome = await hello(ws)
            await say(ws, "je n'arrive plus à me brancher")
        await first.close()  # the hub goes away (its database file stays)

        second = await aiohttp_client(init_app(dataclasses.replace(configured, internal_port=free_port())))
        async with second.ws_connect("/ws") as ws:  # the widget reconnects with its id
            again = await hello(ws, conversation_id=welcome["conversation_id"])
            assert again["conversation_id"] == welcome["conversation_id"]
            assert [line["text"] for line in again["transcript"] if line["author"] == "person"] == [
                "je n'arrive plus à me brancher"
            ]
            assert of_type(await say(ws, "j'utilise Chrome"), "message")
    finally:
        await rasa.close()
    assert len(fake.webhook_calls) == 2
