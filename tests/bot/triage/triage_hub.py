"""The real hub with email triage on: its SMTP listener on a free port, the real Rasa
model (the shared test stack), and a real SMTP server (aiosmtpd) receiving what it sends.

Usage (fixtures are imported by the test modules that need them)::

    async def test_x(triage_hub, smtp):
        message_id = await deliver(triage_hub, mail(subject="...", body="..."))
        row = await decided(triage_hub, message_id)     # once the worker has triaged it
        [answer] = await smtp.wait_for(1)
"""

from __future__ import annotations

import asyncio
import dataclasses
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import aiosmtplib
import pytest_asyncio
from aiohttp.test_utils import TestClient

from bot.app import init_app
from bot.appkeys import AGENTS, TRIAGE, TRIAGE_LISTENER
from bot.db.triage_models import InboundMail
from bot.settings import Settings
from bot.triage.store import message_key
from tests.bot.accounts.conftest import MovableClock, fast_mail
from tests.bot.conftest import ClientFactory
from tests.bot.console.conftest import ANA
from tests.bot.smtp_server import SmtpRecorder
from tools.stack import free_port

SUPPORT = "soutien@gem-books.com"


def triage_settings(settings: Settings, smtp: SmtpRecorder, rasa_stack: Any, **changes: Any) -> Settings:
    base = fast_mail(settings, smtp.port)
    triage: dict[str, Any] = {
        "rasa_url": rasa_stack.rasa_url,
        "rasa_token": rasa_stack.token,
        "action_server_url": rasa_stack.actions_url,
        "rasa_timeout_seconds": 60.0,
        "triage_smtp_port": free_port(),
        "triage_poll_seconds": 0.1,
    }
    return dataclasses.replace(base, **{**triage, **changes})


async def start_triage_hub(aiohttp_client: ClientFactory, settings: Settings) -> TestClient:
    client = await aiohttp_client(init_app(settings, clock=MovableClock()))
    await client.app[AGENTS].create(*ANA)
    return client


@pytest_asyncio.fixture
async def triage_hub(
    aiohttp_client: ClientFactory, settings: Settings, smtp: SmtpRecorder, rasa_stack: Any
) -> TestClient:
    return await start_triage_hub(aiohttp_client, triage_settings(settings, smtp, rasa_stack))


def mail(
    *,
    subject: str,
    body: str,
    sender: str = "Julie Tremblay <julie.tremblay@exemple.ca>",
    headers: dict[str, str] | None = None,
    message_id: str | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="exemple.ca")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


async def deliver(
    hub: TestClient, message: EmailMessage | bytes, *, envelope_from: str = "julie.tremblay@exemple.ca"
) -> str:
    """Send over SMTP to the hub's triage listener; the Message-ID (or "" for raw bytes)."""
    port = hub.app[TRIAGE_LISTENER].port
    if isinstance(message, EmailMessage):
        await aiosmtplib.send(
            message, sender=envelope_from, recipients=[SUPPORT], hostname="127.0.0.1", port=port
        )
        return str(message["Message-ID"])
    await aiosmtplib.send(
        message, sender=envelope_from, recipients=[SUPPORT], hostname="127.0.0.1", port=port
    )
    return ""


async def decided(hub: TestClient, message_id: str, timeout: float = 60.0) -> InboundMail:
    """The mail's record once the triage worker has decided what to do with it."""
    store = hub.app[TRIAGE].store

    async def done() -> InboundMail:
        while True:
            row = await store.by_key(message_key(message_id))
            if row is not None and row.status != "received":
                return row
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(done(), timeout)
