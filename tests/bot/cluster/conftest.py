"""Two hubs in one test process, sharing one SQLite file and one real Redis.

Each hub is the real app (``bot.app.init_app``) behind its own aiohttp test server, with
its own internal API port, talking to the same fake Rasa; the Redis is a private
``redis-server`` (tools.local_services) started once, on first use, for the session.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest
import pytest_asyncio
import redis
from aiohttp.test_utils import TestClient

from bot.app import init_app
from bot.appkeys import AGENTS, LIVE, SERVICES
from bot.cluster.bus import RedisBus
from bot.settings import Settings
from tests.bot.accounts.conftest import MovableClock, clock, fast_mail, smtp
from tests.bot.conftest import ClientFactory
from tests.bot.console.conftest import ANA, BEN
from tests.bot.fake_rasa import FakeRasa
from tests.bot.smtp_server import SmtpRecorder
from tools.local_services import RedisServer
from tools.stack import free_port

__all__ = ["clock", "smtp"]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for this test."""
    client = redis.Redis.from_url(redis_server.url())
    try:
        client.flushdb()
    finally:
        client.close()
    return redis_server.url()


@dataclasses.dataclass
class TwoHubs:
    a: TestClient
    b: TestClient
    rasa: FakeRasa

    def __iter__(self) -> Iterator[TestClient]:
        return iter((self.a, self.b))


def hub_settings(settings: Settings, rasa_url: str, redis_url: str, smtp_port: int) -> Settings:
    return fast_mail(
        dataclasses.replace(settings, rasa_url=rasa_url, action_server_url=rasa_url, redis_url=redis_url),
        smtp_port,
    )


async def start_two_hubs(
    aiohttp_client: ClientFactory, settings: Settings, fake_rasa: tuple[FakeRasa, str], clock: MovableClock
) -> TwoHubs:
    fake, _ = fake_rasa
    a = await aiohttp_client(init_app(settings, clock=clock))
    # Same database and Redis; its own internal API port, as on another machine.
    b = await aiohttp_client(init_app(dataclasses.replace(settings, internal_port=free_port()), clock=clock))
    for email, name, password in (ANA, BEN):
        await a.app[AGENTS].create(email, name, password)
    return TwoHubs(a, b, fake)


@pytest_asyncio.fixture
async def hubs(
    aiohttp_client: ClientFactory,
    settings: Settings,
    fake_rasa: tuple[FakeRasa, str],
    smtp: SmtpRecorder,
    clock: MovableClock,
    redis_url: str,
) -> TwoHubs:
    return await start_two_hubs(
        aiohttp_client, hub_settings(settings, fake_rasa[1], redis_url, smtp.port), fake_rasa, clock
    )


def bus_of(hub: TestClient) -> RedisBus:
    bus = hub.app[SERVICES].cluster.bus
    assert isinstance(bus, RedisBus)
    return bus


async def frame_of_type(ws: Any, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    """The next frame of this type on a socket, skipping others (queue reloads...)."""
    while True:
        frame = await ws.receive_json(timeout=timeout)
        if frame["type"] == kind:
            return dict(frame)


async def until_online(hub: TestClient, count: int, timeout: float = 10.0) -> None:
    """Until ``hub`` counts ``count`` agents online (a console socket is counted once its
    handler has run, a moment after the client's handshake)."""
    deadline = time.monotonic() + timeout
    while await hub.app[LIVE].agents_online() != count:
        assert time.monotonic() < deadline, f"never {count} agents online"
        await asyncio.sleep(0.05)
