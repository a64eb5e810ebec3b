"""The cluster's parts on their own: who may see a console frame, JSON-only frames, and
turn locks that expire when their hub dies and never make a person wait forever."""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.chat.relay import ChatRelay
from bot.cluster import keys
from bot.cluster.bus import LocalBus, RedisBus
from bot.cluster.locks import RedisTurnLocks, TurnBusy
from bot.db.conversations import ConversationStore
from bot.db.engine import session_factory
from bot.db.handoff_models import Handoff
from bot.handoff.live import Audience, LiveChannels
from bot.handoff.store import audience, may_see
from bot.rasa_client import RasaClient
from bot.settings import Settings
from tests.bot.fake_rasa import FakeRasa

pytestmark = pytest.mark.asyncio


async def test_the_audience_of_a_handoff_is_exactly_who_may_see_it() -> None:
    # The live frame's audience crosses hubs as data; it must say what may_see says.
    for status, owner, agent in itertools.product(
        ("open", "resolved", "handed_back"), (None, 1, 2), (1, 2, 3)
    ):
        handoff = Handoff(status=status, agent_id=owner)
        seen = audience(handoff)
        assert seen.includes(agent) == may_see(handoff, agent), (status, owner, agent)
        assert Audience.from_json(seen.to_json()) == seen


async def test_console_frames_reach_only_their_audience() -> None:
    live = LiveChannels()
    got: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    for agent in got:

        async def send(frame: dict[str, Any], agent: int = agent) -> None:
            got[agent].append(frame)

        await live.attach_console(agent, send)
    await live.to_consoles({"type": "message", "text": "a"}, Audience.only(2))
    await live.to_consoles({"type": "queue"}, Audience.everyone())
    await live.to_consoles({"type": "message", "text": "b"}, Audience.only())
    assert got == {1: [{"type": "queue"}], 2: [{"type": "message", "text": "a"}, {"type": "queue"}]}
    assert await live.agents_online() == 2


async def test_a_frame_that_is_not_json_is_refused_in_one_process_too() -> None:
    bus = LocalBus()
    bus.on("widget", lambda message: asyncio.sleep(0))
    with pytest.raises(TypeError):
        await bus.publish("widget", {"frame": {"when": object()}})
    with pytest.raises(ValueError, match="already has a handler"):
        bus.on("widget", lambda message: asyncio.sleep(0))


async def test_a_frame_published_on_one_hub_reaches_the_other_once(redis_url: str) -> None:
    received: dict[str, list[dict[str, Any]]] = {"a": [], "b": []}
    clients = [Redis.from_url(redis_url), Redis.from_url(redis_url)]
    buses = [RedisBus(client, hub_id=name) for client, name in zip(clients, received, strict=True)]
    for bus, name in zip(buses, received, strict=True):

        async def handler(message: dict[str, Any], name: str = name) -> None:
            received[name].append(message)

        bus.on("widget", handler)
        await bus.start()
    try:
        assert all(bus.subscribed for bus in buses)
        await buses[0].publish("widget", {"n": 1})
        deadline = time.monotonic() + 5
        while not received["b"]:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # the publisher does not get its own frame back from Redis
        assert received == {"a": [{"n": 1}], "b": [{"n": 1}]}
    finally:
        for bus in buses:
            await bus.stop()
        for client in clients:
            await client.close()


async def test_a_turn_lock_left_by_a_dead_hub_frees_itself_and_a_live_one_is_waited_for_boundedly(
    redis_url: str,
) -> None:
    client = Redis.from_url(redis_url)
    try:
        # A hub killed mid-turn leaves its lock: it expires (here 0.5 s) and the next turn runs.
        await client.set(keys.turn_lock("c1"), "dead-hub-token", px=500)
        locks = RedisTurnLocks(client, expiry_seconds=5, wait_seconds=3)
        started = time.monotonic()
        async with locks.hold("c1"):
            assert 0.3 < time.monotonic() - started < 2
            assert await client.pttl(keys.turn_lock("c1")) > 4000  # ours, with its own expiry
        assert await client.exists(keys.turn_lock("c1")) == 0  # released

        # Held by a live turn for longer than the wait: TurnBusy after the wait, not a hang.
        await client.set(keys.turn_lock("c2"), "other-hub-token", px=10_000)
        impatient = RedisTurnLocks(client, expiry_seconds=5, wait_seconds=0.3)
        started = time.monotonic()
        with pytest.raises(TurnBusy):
            async with impatient.hold("c2"):
                pass
        assert time.monotonic() - started < 1.5
        assert await client.get(keys.turn_lock("c2")) == b"other-hub-token"  # not ours to free
    finally:
        await client.close()


async def test_a_person_whose_conversation_stays_busy_is_told_and_their_message_kept(
    engine: AsyncEngine, settings: Settings, fake_rasa: tuple[FakeRasa, str], redis_url: str
) -> None:
    fake, url = fake_rasa
    client = Redis.from_url(redis_url)
    store = ConversationStore(session_factory(engine), settings)
    conversation = await store.create("fr", "widget")
    await client.set(keys.turn_lock(conversation.id), "other-hub-token", px=10_000)
    try:
        async with aiohttp.ClientSession() as http:
            rasa = RasaClient(
                http, Settings(rasa_url=url, action_server_url=url, rasa_token=settings.rasa_token)
            )

            async def to_agents(*_: object) -> list[Any]:
                return []

            relay = ChatRelay(
                store,
                rasa,
                to_agents=to_agents,
                locks=RedisTurnLocks(client, expiry_seconds=5, wait_seconds=0.3),
            )
            turn = await relay.person_says(conversation, "allô?", language="fr", user_agent="test")
        assert turn.error == "assistant_unavailable" and turn.replies == []
        assert [m.text for m in await store.transcript(conversation.id)] == ["allô?"]
        assert fake.webhook_calls == []  # Rasa was not asked while the other turn ran
    finally:
        await client.close()


async def test_build_services_gives_every_service_the_same_cluster(
    engine: AsyncEngine, settings: Settings, redis_url: str
) -> None:
    from bot.cluster.locks import LocalTurnLocks
    from bot.services import build_services
    from tests.bot.accounts.conftest import MovableClock

    for shared, kinds in (
        (settings, (LocalTurnLocks, LocalBus)),
        (replace(settings, redis_url=redis_url), (RedisTurnLocks, RedisBus)),
    ):
        async with aiohttp.ClientSession() as http:
            services = build_services(
                shared, engine, http, MovableClock(), link_secret="a-test-link-secret-of-32-chars!!"
            )
        cluster = services.cluster
        assert isinstance(cluster.locks, kinds[0]) and isinstance(cluster.bus, kinds[1])
        assert services.relay._locks is cluster.locks
        assert services.live._bus is cluster.bus and services.consoles._bus is cluster.bus
        assert services.live._presence is cluster.presence
        assert services.satisfaction._due is cluster.satisfaction_due
        await cluster.stop()
