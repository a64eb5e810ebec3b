"""Fixtures for the account features: the real hub, demo accounts, a real SMTP server.

The hub runs in production mode here (no mail sink of its own); its outbound SMTP goes to
the test's ``SmtpRecorder``, and its clock can be moved forward.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import re
import weakref
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient

from bot.accounts.demo import DEMO_ACCOUNTS, ensure_demo_accounts
from bot.app import init_app
from bot.appkeys import ACCOUNTS, OUTBOX, STORE
from bot.db.models import utcnow
from bot.settings import Settings
from tests.bot.conftest import ClientFactory, internal_url, of_type
from tests.bot.real_rasa import CALLBACK_HUB_PORT, INTERNAL_TOKEN
from tests.bot.smtp_server import SmtpRecorder
from tools.stack import free_port

JULIE, MARIE, BOB = DEMO_ACCOUNTS  # fr, fr, en


class MovableClock:
    """The real time plus an offset that a test can push forward."""

    def __init__(self) -> None:
        self.offset = dt.timedelta()

    def __call__(self) -> dt.datetime:
        return utcnow() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += dt.timedelta(**delta)


def fast_mail(settings: Settings, smtp_port: int, **changes: Any) -> Settings:
    """Settings whose outbox polls and retries quickly, sending to ``smtp_port``."""
    fast: dict[str, Any] = {
        "internal_token": INTERNAL_TOKEN,
        "smtp_port": smtp_port,
        "smtp_timeout_seconds": 2.0,
        "outbox_poll_seconds": 0.1,
        "outbox_retry_initial_seconds": 0.2,
        "outbox_retry_max_seconds": 0.5,
    }
    return dataclasses.replace(settings, **{**fast, **changes})


@pytest.fixture(autouse=True)
def quick_argon2(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with the smallest cost: every hub here hashes three demo passwords at start.

    The production parameters are argon2-cffi's defaults; the tests check behaviour, not cost.
    """
    from argon2 import PasswordHasher

    from bot import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest_asyncio.fixture
async def smtp() -> AsyncIterator[SmtpRecorder]:
    async with SmtpRecorder() as server:
        yield server


@pytest.fixture
def account_settings(settings: Settings, smtp: SmtpRecorder) -> Settings:
    return fast_mail(settings, smtp.port)


async def start_hub(
    aiohttp_client: ClientFactory, settings: Settings, clock: MovableClock | None = None
) -> TestClient:
    """The real hub app with the demo accounts in its directory."""
    client = await aiohttp_client(init_app(settings, clock=clock or MovableClock()))
    await ensure_demo_accounts(client.app[ACCOUNTS])
    return client


@pytest_asyncio.fixture
async def accounts_hub(
    aiohttp_client: ClientFactory, account_settings: Settings, clock: MovableClock
) -> TestClient:
    return await start_hub(aiohttp_client, account_settings, clock)


_CONVERSATIONS: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()


async def conversation_named(client: TestClient, name: str) -> str:
    """The id of a real conversation standing for ``name`` in this test (one per name).

    The internal API answers 404 for conversations the hub does not have; tests name
    theirs ("conv-1", "c2") and get a server-issued id for each name.
    """
    named = _CONVERSATIONS.setdefault(client, {})
    if name not in named:
        named[name] = (await client.app[STORE].create("fr", "widget")).id
    return named[name]


async def post_internal(
    client: TestClient,
    endpoint: str,
    body: dict[str, Any],
    token: str | None = INTERNAL_TOKEN,
    headers: dict[str, str] | None = None,
    raw_conversation: bool = False,
) -> tuple[int, dict[str, Any], Any]:
    """POST to /internal/accounts/<endpoint> on the internal listener: (status, JSON body, headers).

    ``body["conversation_id"]`` names a conversation of this test (see :func:`conversation_named`),
    or with ``raw_conversation`` is sent as it is.
    """
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    if isinstance(body.get("conversation_id"), str) and not raw_conversation:
        body = {**body, "conversation_id": await conversation_named(client, body["conversation_id"])}
    url = internal_url(client, f"/internal/accounts/{endpoint}")
    async with client.session.post(url, json=body, headers=sent) as response:
        return response.status, await response.json(), response.headers


def reset_body(
    user_code: str, email: str, language: str = "fr", conversation_id: str = "conv-1"
) -> dict[str, str]:
    return {"user_code": user_code, "email": email, "language": language, "conversation_id": conversation_id}


def csrf_in(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def heading(html: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", html, re.S)
    assert match, html
    return match.group(1).strip()


# The internal listener of every hub with the real assistant is where the action server
# calls back (``GEM_HUB_URL`` of ``tests.bot.real_rasa``); the public port is any free one.
HUB_PORT = CALLBACK_HUB_PORT


async def chat_hub(
    aiohttp_client: ClientFactory, settings: Settings, stack: Any, clock: MovableClock | None = None
) -> TestClient:
    port = free_port()
    configured = dataclasses.replace(
        settings,
        port=port,
        public_base_url=f"http://127.0.0.1:{port}",
        allowed_origins=(f"http://127.0.0.1:{port}",),
        internal_port=HUB_PORT,
        rasa_url=stack.rasa_url,
        rasa_token=stack.token,
        action_server_url=stack.actions_url,
        rasa_timeout_seconds=60.0,
    )
    client = await aiohttp_client(
        init_app(configured, clock=clock or MovableClock()), server_kwargs={"port": port}
    )
    await ensure_demo_accounts(client.app[ACCOUNTS])
    return client


@pytest_asyncio.fixture
async def smtp_hub(
    aiohttp_client: ClientFactory,
    settings: Settings,
    smtp: SmtpRecorder,
    clock: MovableClock,
    rasa_stack: Any,
) -> TestClient:
    return await chat_hub(aiohttp_client, fast_mail(settings, smtp.port), rasa_stack, clock)


def texts(frames: list[dict[str, Any]]) -> list[str]:
    return [frame["text"] for frame in of_type(frames, "message")]


async def outbox_settled(hub: TestClient) -> dict[str, int]:
    for _ in range(100):
        counts = await hub.app[OUTBOX].counts()
        if not counts.get("pending"):
            return counts
        await asyncio.sleep(0.05)
    return counts
