"""Fixtures for the hub: the real app on a real SQLite file (or PostgreSQL), with Rasa down or faked."""

from __future__ import annotations

import dataclasses
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import init_app
from bot.appkeys import SETTINGS
from bot.db.engine import create_engine, upgrade_to_head
from bot.settings import Settings
from tests.bot.databases import both_backends, database_url
from tests.bot.fake_rasa import TOKEN, FakeRasa
from tests.bot.real_rasa import background_stack
from tools.stack import free_port

ClientFactory = Callable[..., Awaitable[TestClient]]


def closed_port_url() -> str:
    """A loopback URL where nothing listens: Rasa or the action server is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def internal_url(client: TestClient, path: str) -> str:
    """``path`` on the hub's internal listener (the action server's side, bot.internal_listener)."""
    return f"http://127.0.0.1:{client.app[SETTINGS].internal_port}{path}"


@pytest.fixture
def engineio_client_compat(monkeypatch: pytest.MonkeyPatch) -> None:
    # python-engineio's *client* builds aiohttp.ClientWSTimeout (aiohttp >= 3.10) for its
    # WebSocket transport; Rasa pins aiohttp < 3.10, where ws_connect takes the close
    # timeout as a plain number. Test-side only: the hub (server side) does not use it.
    import aiohttp

    if not hasattr(aiohttp, "ClientWSTimeout"):
        monkeypatch.setattr(aiohttp, "ClientWSTimeout", lambda ws_close: ws_close, raising=False)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "database_backends(*names): run the test on these hub databases (sqlite, postgresql)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    both_backends(metafunc)


@pytest.fixture
def database_backend(request: pytest.FixtureRequest) -> str:
    """The hub database's kind: the test's parameter, else $GEM_TEST_DATABASE, else "sqlite".

    ``GEM_TEST_DATABASE=postgresql pytest tests/bot/console`` runs hub tests on PostgreSQL.
    """
    return str(getattr(request, "param", os.environ.get("GEM_TEST_DATABASE", "sqlite")))


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, database_backend: str) -> Settings:
    """Hub settings with a fresh database (SQLite file, or PostgreSQL) and nothing listening for Rasa."""
    return Settings(
        database_url=database_url(request, database_backend, tmp_path),
        rasa_url=closed_port_url(),
        rasa_token=TOKEN,
        action_server_url=closed_port_url(),
        rasa_timeout_seconds=5.0,
        health_timeout_seconds=2.0,
        triage_smtp_port=0,
        internal_port=free_port(),
    )


@pytest_asyncio.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The hub's database, migrated to the newest schema; every test using it runs on SQLite and PostgreSQL."""
    engine = create_engine(settings)
    await upgrade_to_head(engine)
    yield engine
    await engine.dispose()


@pytest_asyncio.fixture
async def hub(aiohttp_client: ClientFactory, settings: Settings) -> TestClient:
    """The real hub app, Rasa down."""
    return await aiohttp_client(init_app(settings))


@pytest_asyncio.fixture
async def fake_rasa(aiohttp_server: Callable[..., Awaitable[TestServer]]) -> tuple[FakeRasa, str]:
    fake = FakeRasa()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("")).rstrip("/")


@pytest_asyncio.fixture
async def hub_with_fake_rasa(
    aiohttp_client: ClientFactory, settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> tuple[TestClient, FakeRasa]:
    """The real hub app, talking to the fake Rasa and action server."""
    fake, url = fake_rasa
    app: web.Application = init_app(dataclasses.replace(settings, rasa_url=url, action_server_url=url))
    return await aiohttp_client(app), fake


async def hello(ws: Any, **fields: Any) -> dict[str, Any]:
    """Send a hello frame and return the welcome."""
    frame = {
        "type": "hello",
        "conversation_id": None,
        "resume_code": None,
        "language": "fr",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0",
    }
    frame.update(fields)
    await ws.send_json(frame)
    welcome = await ws.receive_json(timeout=10)
    assert welcome["type"] == "welcome", welcome
    return welcome


async def say(ws: Any, text: str, payload: str | None = None) -> list[dict[str, Any]]:
    """Send a message; the frames of the turn (up to "typing off", or a refusal)."""
    await ws.send_json({"type": "message", "text": text, "payload": payload})
    frames = []
    while True:
        frame = await ws.receive_json(timeout=30)
        frames.append(frame)
        if frame["type"] == "typing" and not frame["on"]:
            return frames
        if frame["type"] == "error" and len(frames) == 1:
            return frames  # refused before the assistant was asked


def of_type(frames: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [frame for frame in frames if frame["type"] == kind]


@pytest.fixture(scope="session")
def rasa_stack(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The real Rasa and action servers, shared by every hub test that needs them."""
    with background_stack(tmp_path_factory.mktemp("rasa-stack")) as stack:
        yield stack
