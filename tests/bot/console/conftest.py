"""Fixtures for the console: the real hub, two agents, conversations handed over.

The hub runs with a real SMTP server (aiosmtpd) and a movable clock; Rasa is down or
faked, and handoffs are opened through the internal API as the action server does.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient

from bot.app import init_app
from bot.appkeys import AGENTS, STORE
from bot.settings import Settings
from tests.bot.accounts.conftest import INTERNAL_TOKEN, MovableClock, clock, fast_mail, smtp
from tests.bot.conftest import ClientFactory, internal_url
from tests.bot.smtp_server import SmtpRecorder

__all__ = ["clock", "smtp"]

ANA = ("ana@gem-books.com", "Ana Lemieux", "ana-password-1")
BEN = ("ben@gem-books.com", "Ben Roy", "ben-password-1")
HOSTILE = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


@pytest.fixture
def console_settings(settings: Settings, smtp: SmtpRecorder) -> Settings:
    return fast_mail(settings, smtp.port)


@pytest_asyncio.fixture
async def console_hub(
    aiohttp_client: ClientFactory, console_settings: Settings, clock: MovableClock
) -> TestClient:
    client = await aiohttp_client(init_app(console_settings, clock=clock))
    for email, name, password in (ANA, BEN):
        await client.app[AGENTS].create(email, name, password)
    return client


def csrf_in(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


async def login(client: TestClient, agent: tuple[str, str, str] = ANA) -> str:
    """Sign in as ``agent``; returns the session's CSRF token (from the queue page)."""
    async with client.get("/console/login") as response:
        token = csrf_in(await response.text())
    async with client.post(
        "/console/login", data={"csrf": token, "email": agent[0], "password": agent[2]}, allow_redirects=False
    ) as response:
        assert response.status == 302, await response.text()
    return await page_csrf(client)


async def page_csrf(client: TestClient) -> str:
    async with client.get("/console") as response:
        assert response.status == 200
        return csrf_in(await response.text())


async def conversation_with(client: TestClient, *lines: tuple[str, str, str | None, float | None]) -> str:
    """A conversation whose transcript is ``(author, text, intent, confidence)`` lines."""
    store = client.app[STORE]
    conversation = await store.create("fr", "widget")
    for author, text, intent, confidence in lines:
        message = await store.add_message(conversation.id, author, text)
        if intent is not None:
            await store.record_understanding(message.id, intent, confidence, "fr")
    return conversation.id


def packet(conversation_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "conversation_id": conversation_id,
        "reason": "requested_by_person",
        "language": "fr",
        "browser": "chrome",
        "steps_tried": ["main_site:failed", "browsers:failed"],
        "reset_email_sent": False,
        "user_code": "JTREMBLAY01",
        "email": "",
    }
    body.update(fields)
    return body


async def open_handoff(
    client: TestClient, conversation_id: str, token: str | None = INTERNAL_TOKEN, **fields: Any
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with client.session.post(
        internal_url(client, "/internal/handoffs"), json=packet(conversation_id, **fields), headers=headers
    ) as response:
        return response.status, await response.json()


async def handed_over(client: TestClient, *texts: str, **fields: Any) -> int:
    """A conversation with the person's ``texts`` (intent request_human), handed over; its handoff id."""
    lines = [("person", text, "request_human", 0.91) for text in texts] or [
        ("person", "je veux parler à un agent", "request_human", 0.97)
    ]
    conversation_id = await conversation_with(client, *lines)
    status, body = await open_handoff(client, conversation_id, **fields)
    assert status == 200, body
    return int(body["handoff_id"])
