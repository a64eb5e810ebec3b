"""The intake without Rasa: mail is recorded before "250", kept while Rasa is down,
duplicates and malformed mail are recorded once, the listener's limits hold."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import aiosmtplib
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient

from bot.app import init_app
from bot.appkeys import TRIAGE, TRIAGE_LISTENER
from bot.settings import Settings
from bot.triage.store import message_key
from tests.bot.conftest import ClientFactory
from tests.bot.triage.triage_hub import SUPPORT, deliver, mail
from tools.stack import free_port

pytestmark = [pytest.mark.asyncio]


@pytest_asyncio.fixture
async def offline_hub(aiohttp_client: ClientFactory, settings: Settings) -> TestClient:
    """The hub with its triage listener on, and Rasa down (the ``settings`` fixture's)."""
    return await aiohttp_client(
        init_app(dataclasses.replace(settings, triage_smtp_port=free_port(), triage_poll_seconds=0.05))
    )


async def until(condition: Any, timeout: float = 10.0) -> None:
    async def wait() -> None:
        while not await condition():
            await asyncio.sleep(0.05)

    await asyncio.wait_for(wait(), timeout)


async def test_mail_waits_while_rasa_is_down_and_nothing_is_lost(offline_hub: TestClient) -> None:
    message_id = await deliver(
        offline_hub, mail(subject="Mot de passe oublié", body="J'ai oublié mon mot de passe.")
    )
    store = offline_hub.app[TRIAGE].store

    async def tried() -> bool:
        row = await store.by_key(message_key(message_id))
        return row is not None and row.attempts >= 1 and row.last_error is not None

    await until(tried)
    row = await store.by_key(message_key(message_id))
    assert row.status == "received"  # to be triaged when Rasa is back
    assert row.raw is not None and message_id.encode() in row.raw  # the mail itself is kept
    assert "assistant unavailable" in row.last_error
    assert row.next_attempt_at > row.received_at  # backed off, not spinning


async def test_the_same_message_id_is_recorded_once(offline_hub: TestClient) -> None:
    original = mail(subject="Code usager", body="J'ai perdu mon code usager.")
    triage = offline_hub.app[TRIAGE]
    first = await triage.receive(original.as_bytes(), source="imap")
    again = await triage.receive(original.as_bytes(), source="smtp")
    assert (first.status, again.status) == ("new", "duplicate")
    assert first.mail_id == again.mail_id


async def test_garbage_is_quarantined_once_with_its_bytes(offline_hub: TestClient) -> None:
    triage = offline_hub.app[TRIAGE]
    junk = b"\x00\x01\x02 this is not a mail"
    first = await triage.receive(junk, source="file")
    again = await triage.receive(junk, source="file")
    assert first.status == "quarantined" and first.mail_id == again.mail_id
    row = await triage.store.get(first.mail_id)
    assert (row.status, row.decision) == ("quarantined", "quarantined")
    assert row.raw == junk and row.size == len(junk)


async def test_too_large_mail_is_quarantined_without_keeping_all_of_it(offline_hub: TestClient) -> None:
    triage = offline_hub.app[TRIAGE]
    big = b"Subject: big\r\nFrom: a@exemple.ca\r\n\r\n" + b"A" * (triage._settings.triage_max_bytes + 1)
    received = await triage.receive(big, source="imap")
    assert (received.status, received.reason) == ("quarantined", "too_large")
    row = await triage.store.get(received.mail_id)
    assert row.size == len(big) and len(row.raw) < 1024 * 1024


async def test_the_listener_refuses_recipients_past_the_hundredth(offline_hub: TestClient) -> None:
    port = offline_hub.app[TRIAGE_LISTENER].port
    recipients = [SUPPORT] + [f"r{n}@exemple.ca" for n in range(150)]
    message = mail(subject="Beaucoup de monde", body="Bonjour à tous")
    errors, _ = await aiosmtplib.send(
        message, sender="julie.tremblay@exemple.ca", recipients=recipients, hostname="127.0.0.1", port=port
    )
    assert len(errors) == 51 and all(code == 452 for code, _ in errors.values())
    row = await offline_hub.app[TRIAGE].store.by_key(message_key(str(message["Message-ID"])))
    assert row is not None and row.status == "received"
