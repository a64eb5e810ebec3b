"""The support mailbox on a real IMAP server (Dovecot): the hub's poller picks the mail up,
the triage answers it over SMTP, and the mail is marked so it is never triaged twice."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.settings import Settings
from tests.bot.accounts.conftest import smtp
from tests.bot.conftest import ClientFactory
from tests.bot.smtp_server import SmtpRecorder, text_of
from tests.bot.triage.dovecot import Dovecot
from tests.bot.triage.triage_hub import decided, mail, start_triage_hub, triage_settings

__all__ = ["smtp"]

pytestmark = [pytest.mark.asyncio]


async def test_mail_in_the_imap_mailbox_is_answered_once_and_marked(
    aiohttp_client: ClientFactory, settings: Settings, smtp: SmtpRecorder, rasa_stack: Any, dovecot: Dovecot
) -> None:
    dovecot.create_mailbox("support-e2e")
    original = mail(
        subject="Forgot my user code", body="Hello, I forgot my user code. How can I get it back?"
    )
    dovecot.append(original.as_bytes(), mailbox="support-e2e")
    hub: TestClient = await start_triage_hub(
        aiohttp_client,
        triage_settings(
            settings,
            smtp,
            rasa_stack,
            triage_smtp_port=0,
            imap_host="127.0.0.1",
            imap_port=dovecot.port,
            imap_security="none",
            imap_username=dovecot.user,
            imap_password=dovecot.password,
            imap_mailbox="support-e2e",
            imap_interval_seconds=0.2,
        ),
    )
    row = await decided(hub, str(original["Message-ID"]))
    assert (row.source, row.decision, row.language, row.intent) == (
        "imap",
        "auto_reply",
        "en",
        "forgot_user_code",
    )
    [answer] = await smtp.wait_for(1)
    assert answer["In-Reply-To"] == original["Message-ID"]
    assert "user code" in text_of(answer)
    [flags] = dovecot.flags("support-e2e").values()
    assert "$GemTriaged" in flags
    await asyncio.sleep(1.0)  # several more polls
    assert len(smtp.messages) == 1
