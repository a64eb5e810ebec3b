"""The triage's SMTP listener: the mail server delivers support mail here.

Usage (the app does this when ``GEM_TRIAGE_SMTP_PORT`` is not 0)::

    listener = TriageListener(triage, settings)
    await listener.start()        # GEM_TRIAGE_SMTP_HOST:GEM_TRIAGE_SMTP_PORT
    await listener.stop()

Each message is recorded before "250" is answered, so an accepted mail is never lost;
triage itself (Rasa, answers, tickets) happens after, in the triage worker. A message over
``GEM_TRIAGE_MAX_BYTES`` is refused with 552 by aiosmtpd (the sending server bounces it to
its author), and a message with more than 100 recipients is refused past the hundredth.
"""

from __future__ import annotations

import asyncio
import logging

from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.mail.listen import listen_smtp
from bot.settings import Settings
from bot.triage.service import Triage

__all__ = ["MAX_RECIPIENTS", "TriageListener"]

log = logging.getLogger(__name__)

MAX_RECIPIENTS = 100
# Longer than RFC 5321's 1,000: people's mail programs write long lines (Postfix passes 2,048).
MAX_LINE = 8192


class TriageListener:
    def __init__(self, triage: Triage, settings: Settings) -> None:
        self._triage = triage
        self._settings = settings
        self.port = settings.triage_smtp_port
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self._server, self.port = await listen_smtp(
            self,
            self._settings.triage_smtp_host,
            self.port,
            name="gem-books-triage",
            max_bytes=self._settings.triage_max_bytes,
            setting="GEM_TRIAGE_SMTP_PORT",
            max_line=MAX_LINE,
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def handle_RCPT(  # noqa: N802 (aiosmtpd hook)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        mail_from = envelope.mail_from
        # aiosmtpd gives "<>" (or "") for the null sender: bounces and other automatic mail.
        envelope_from = "" if mail_from in (None, "", "<>") else str(mail_from)
        try:
            received = await self._triage.receive(raw, source="smtp", envelope_from=envelope_from)
        except Exception:  # the database is away: the sending server keeps it and retries
            log.exception("triage listener: could not record a message")
            return "451 4.3.0 Requested action aborted: local error in processing"
        if received.status == "quarantined":
            return f"250 2.0.0 Accepted (set aside: {received.reason})"
        return "250 2.0.0 Accepted"
