"""Two hubs drain one outbox on PostgreSQL: a thousand mails, each sent exactly once.

Each "hub" is its own engine (its own connection pool, as in another process) with its own
OutboxWorker; both run at once against one real SMTP server, which counts the mails by
Message-ID. The Message-ID comes from the row, so a mail sent twice would arrive twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import time
from collections import Counter
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.engine import create_engine, session_factory
from bot.db.mail_models import OutboxMail
from bot.mail.messages import build_message
from bot.mail.outbox import Outbox, queued_mail
from bot.mail.worker import OutboxWorker, SmtpSender
from bot.settings import Settings
from tests.bot.smtp_server import SmtpRecorder

pytestmark = [pytest.mark.asyncio, pytest.mark.database_backends("postgresql")]

MAILS = 1000


async def numbered(params: Mapping[str, Any]) -> EmailMessage:
    message = build_message(
        sender="GEM-BOOKS <soutien@gem-books.com>",
        to=f"person{params['n']}@example.com",
        subject=f"note {params['n']}",
        text="bonjour",
        html="<p>bonjour</p>",
        now=dt.datetime.now(dt.timezone.utc),
    )
    message.replace_header("Message-ID", f"<note-{params['n']}@test.gem-books.com>")
    return message


class CountingSender(SmtpSender):
    """The real sender, counting what this hub sent."""

    sent = 0

    async def send(self, message: EmailMessage) -> None:
        await super().send(message)
        self.sent += 1


async def test_two_hubs_send_a_thousand_queued_mails_each_exactly_once(settings: Settings) -> None:
    assert settings.database_url.startswith("postgresql+asyncpg://")
    async with SmtpRecorder() as smtp:
        configured = dataclasses.replace(
            settings, smtp_host="127.0.0.1", smtp_port=smtp.port, outbox_poll_seconds=0.05
        )
        engines = [create_engine(configured) for _ in range(2)]
        try:
            first = Outbox(session_factory(engines[0]))
            async with session_factory(engines[0])() as session, session.begin():
                now = dt.datetime.now(dt.timezone.utc)
                session.add_all(queued_mail(f"note-{n}", "numbered", {"n": n}, now) for n in range(MAILS))
            senders = [CountingSender(configured) for _ in engines]
            workers = [
                OutboxWorker(Outbox(session_factory(engine)), {"numbered": numbered}, sender, configured)
                for engine, sender in zip(engines, senders, strict=True)
            ]
            started = time.monotonic()
            for worker in workers:
                worker.start()
            try:
                await smtp.wait_for(MAILS, timeout=120)
                while (await first.counts()).get("sent", 0) < MAILS:
                    await asyncio.sleep(0.05)
            finally:
                for worker in workers:
                    await worker.stop()
            elapsed = time.monotonic() - started
            await asyncio.sleep(0.3)  # a duplicate send would arrive now
            ids = Counter(str(message["Message-ID"]) for message in smtp.messages)
            assert len(ids) == MAILS and set(ids.values()) == {1}, ids.most_common(3)
            assert await first.counts() == {"sent": MAILS}
            async with session_factory(engines[1])() as session:
                attempts = await session.scalar(select(func.sum(OutboxMail.attempts)))
            assert attempts == MAILS  # no claim was lost and retried
            # Both hubs worked (SKIP LOCKED let them take different rows side by side).
            assert all(sender.sent > MAILS // 10 for sender in senders), [s.sent for s in senders]
            print(f"\n{MAILS} mails by two hubs in {elapsed:.1f} s: {[s.sent for s in senders]}")
        finally:
            for engine in engines:
                await engine.dispose()
