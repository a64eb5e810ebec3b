"""The outbox worker: composes each queued mail when it is due and sends it over SMTP.

Usage (the app does this in a cleanup context)::

    worker = OutboxWorker(outbox, composers, SmtpSender.from_settings(settings), settings, clock)
    worker.start()
    ...
    await worker.stop()

A mail server that is down or hangs costs a retry, with a growing delay, never a lost
mail and never a waiting conversation: requests only write to the outbox.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Mapping
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import aiosmtplib

from bot.clock import Clock, system_clock
from bot.jobs import Worker, backoff
from bot.mail.addresses import mask_email
from bot.mail.outbox import Outbox
from bot.settings import Settings

__all__ = ["Composer", "OutboxWorker", "SmtpSender"]

log = logging.getLogger(__name__)

# Turns a row's parameters into a message, or None when there is nothing to send.
Composer = Callable[[Mapping[str, Any]], Awaitable[EmailMessage | None]]


class SmtpSender:
    """Sends one message with ``aiosmtplib``; raises on any failure."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._local_hostname = urlsplit(settings.public_base_url).hostname or "localhost"

    async def send(self, message: EmailMessage) -> None:
        s = self._settings
        # aiosmtplib's timeout applies per command; the outer bound covers a server that
        # trickles bytes forever.
        await asyncio.wait_for(
            aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username or None,
                password=s.smtp_password or None,
                use_tls=s.smtp_security == "tls",
                start_tls=s.smtp_security == "starttls",
                timeout=s.smtp_timeout_seconds,
                local_hostname=self._local_hostname,
            ),
            timeout=s.smtp_timeout_seconds * 3,
        )


class OutboxWorker:
    """One background task draining the outbox."""

    def __init__(
        self,
        outbox: Outbox,
        composers: Mapping[str, Composer],
        sender: SmtpSender,
        settings: Settings,
        clock: Clock = system_clock,
    ) -> None:
        self._outbox = outbox
        self._composers = composers
        self._sender = sender
        self._settings = settings
        self._clock = clock
        # Longer than the slowest possible send, so a live worker never loses its claim.
        self._lease = dt.timedelta(seconds=settings.smtp_timeout_seconds * 3 + 60)
        # Stopping lets the mail being sent finish (within the SMTP timeout).
        self._worker = Worker(
            "outbox-worker",
            self.process_one,
            idle_seconds=settings.outbox_poll_seconds,
            wakeup=outbox.wakeup,
            drain_seconds=settings.smtp_timeout_seconds + 1,
        )

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        """Let the mail being sent finish (within the SMTP timeout), then stop."""
        await self._worker.stop()

    def _backoff(self, attempts: int) -> dt.timedelta:
        s = self._settings
        return backoff(attempts, s.outbox_retry_initial_seconds, s.outbox_retry_max_seconds)

    async def process_one(self) -> bool:
        """Send (or skip) the next due mail; False when none was due."""
        mail = await self._outbox.claim(self._lease)
        if mail is None:
            return False
        composer = self._composers.get(mail.kind)
        if composer is None:
            log.error("outbox: no composer for %r mail #%s; left pending", mail.kind, mail.id)
            await self._outbox.mark_retry(
                mail, f"no composer for {mail.kind!r}", self._backoff(mail.attempts)
            )
            return True
        try:
            message = await composer(mail.params)
        except Exception:  # e.g. the database is briefly unavailable
            log.exception("outbox: composing %s mail #%s failed", mail.kind, mail.id)
            await self._outbox.mark_retry(mail, "compose failed", self._backoff(mail.attempts))
            return True
        if message is None:
            await self._outbox.mark_skipped(mail, "nothing to send")
            log.info("outbox: %s mail #%s: nothing to send", mail.kind, mail.id)
            return True
        try:
            await self._sender.send(message)
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            delay = self._backoff(mail.attempts)
            log.warning(
                "outbox: %s mail #%s not sent (attempt %s: %s); retrying in %.0f s",
                mail.kind,
                mail.id,
                mail.attempts,
                type(exc).__name__,
                delay.total_seconds(),
            )
            await self._outbox.mark_retry(mail, type(exc).__name__, delay)
            return True
        hint = mask_email(str(message["To"]))
        if await self._outbox.mark_sent(mail, str(message["Message-ID"]), hint):
            log.info("outbox: %s mail #%s sent to %s", mail.kind, mail.id, hint)
        else:
            log.warning("outbox: %s mail #%s sent after its claim expired", mail.kind, mail.id)
        return True
