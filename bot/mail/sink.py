"""The development mail sink: an SMTP server inside the hub that keeps what it receives.

Usage (development only; the app does this)::

    sink = MailSink(sessions, port=8025, clock=clock)
    await sink.start()            # 127.0.0.1:8025, in the hub's own event loop
    mails = await sink.recent()   # what /dev/mail lists
    await sink.stop()

Outbound mail in development goes here instead of to real people, so a person trying the
product can open the reset email on ``/dev/mail`` and click its link. It listens on
loopback only and keeps mail in the hub's database.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot.clock import Clock, system_clock
from bot.db.mail_models import CaughtMail
from bot.mail.listen import listen_smtp

__all__ = ["MailSink"]

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
# Generous for a reset email, small enough that a runaway sender cannot fill the disk.
MAX_MESSAGE_BYTES = 5 * 1024 * 1024


class MailSink:
    """aiosmtpd server whose handler stores each message in ``caught_mail``."""

    def __init__(self, sessions: sessionmaker, port: int, clock: Clock = system_clock) -> None:
        self._sessions = sessions
        self.port = port
        self._clock = clock
        self._server: asyncio.AbstractServer | None = None

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    async def start(self) -> None:
        """Listen; raises OSError naming the port when it is taken."""
        self._server, self.port = await listen_smtp(
            self,
            LOOPBACK,
            self.port,
            name="gem-books-dev-sink",
            max_bytes=MAX_MESSAGE_BYTES,
            setting="GEM_MAIL_SINK_PORT",
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        """aiosmtpd hook: one message received."""
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        subject = str(message_from_bytes(raw, policy=policy.default).get("Subject", ""))
        try:
            async with self._sessions() as db, db.begin():
                db.add(
                    CaughtMail(
                        received_at=self._clock(),
                        mail_from=str(envelope.mail_from or "")[:320],
                        recipients=[str(r) for r in envelope.rcpt_tos],
                        subject=subject[:998],
                        raw=raw,
                    )
                )
        except Exception:  # tell the client to try again rather than drop the mail
            log.exception("mail sink: could not store a message")
            return "451 Requested action aborted: local error in processing"
        return "250 Message accepted for delivery"

    async def recent(self, limit: int = 100) -> Sequence[CaughtMail]:
        """The latest caught mail, newest first."""
        async with self._sessions() as db:
            query = select(CaughtMail).order_by(CaughtMail.id.desc()).limit(limit)
            return (await db.scalars(query)).all()

    async def get(self, mail_id: int) -> CaughtMail | None:
        async with self._sessions() as db:
            return await db.get(CaughtMail, mail_id)


def parse(mail: CaughtMail) -> Any:
    """The stored message as an ``email.message.EmailMessage``."""
    return message_from_bytes(mail.raw, policy=policy.default)
