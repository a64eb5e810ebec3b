"""Redis goes away mid-conversation: every hub still answers its own people, and live
frames cross hubs again once Redis is back (the subscriber reconnects by itself)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient

from bot.appkeys import LIVE
from bot.settings import Settings
from tests.bot.accounts.conftest import MovableClock
from tests.bot.cluster.conftest import (
    TwoHubs,
    bus_of,
    frame_of_type,
    hub_settings,
    start_two_hubs,
    until_online,
)
from tests.bot.conftest import ClientFactory, hello, of_type, say
from tests.bot.console.conftest import login, open_handoff
from tests.bot.fake_rasa import FakeRasa
from tests.bot.smtp_server import SmtpRecorder
from tools.local_services import RedisServer

pytestmark = pytest.mark.asyncio


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A Redis of this test's own: it is stopped and started again."""
    with RedisServer() as server:
        yield server


@pytest_asyncio.fixture
async def hubs(
    aiohttp_client: ClientFactory,
    settings: Settings,
    fake_rasa: tuple[FakeRasa, str],
    smtp: SmtpRecorder,
    clock: MovableClock,
    own_redis: RedisServer,
) -> TwoHubs:
    return await start_two_hubs(
        aiohttp_client, hub_settings(settings, fake_rasa[1], own_redis.url(), smtp.port), fake_rasa, clock
    )


async def until(condition: object, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def answered(hub: TestClient, text: str) -> None:
    async with hub.ws_connect("/ws") as ws:
        await hello(ws)
        frames = await say(ws, text)
        assert len(of_type(frames, "message")) == 2 and not of_type(frames, "error"), frames


async def test_without_redis_each_hub_still_answers_and_cross_hub_frames_resume_after(
    hubs: TwoHubs, own_redis: RedisServer
) -> None:
    csrf = await login(hubs.a)
    async with hubs.a.ws_connect("/console/ws") as console, hubs.b.ws_connect("/ws") as person:
        welcome = await hello(person)
        await say(person, "je veux parler à un agent")
        status, body = await open_handoff(hubs.b, welcome["conversation_id"])
        assert status == 200 and body["agent_online"] is True
        assert (await console.receive_json(timeout=5)) == {"type": "queue"}
        await frame_of_type(person, "support")
        path = f"/console/c/{body['handoff_id']}"
        async with hubs.a.post(f"{path}/claim", data={"csrf": csrf}, allow_redirects=False) as response:
            assert response.status == 302

        own_redis.stop()
        await until(lambda: not bus_of(hubs.a).subscribed and not bus_of(hubs.b).subscribed)
        # Each hub still counts its own consoles.
        assert await hubs.a.app[LIVE].agents_online() == 1
        # Both hubs serve chat turns (turn locks fall back to each hub's own).
        await answered(hubs.a, "je n'arrive plus à me brancher")
        await answered(hubs.b, "mot de passe oublié")
        # A frame published now stays on its hub: the console on hub A misses this line.
        await say(person, "vous êtes là ?")
        with pytest.raises(asyncio.TimeoutError):
            await frame_of_type(console, "message", timeout=0.5)

        own_redis.start()  # the same port and password, empty
        await asyncio.gather(bus_of(hubs.a).wait_subscribed(15), bus_of(hubs.b).wait_subscribed(15))
        await say(person, "re-bonjour")
        line = await frame_of_type(console, "message")
        assert line["text"] == "re-bonjour"
        async with hubs.a.post(
            f"{path}/reply", data={"csrf": csrf, "text": "Je suis là."}, allow_redirects=False
        ) as response:
            assert response.status == 302
        answer = await frame_of_type(person, "message")
        assert (answer["author"], answer["text"]) == ("agent", "Je suis là.")

    # Redis comes back empty: hub A writes its console's presence again within seconds.
    async with hubs.a.ws_connect("/console/ws"):
        await until_online(hubs.b, 1)
        own_redis.stop()
        own_redis.start()
        assert await hubs.b.app[LIVE].agents_online() == 0
        await until_online(hubs.b, 1)
