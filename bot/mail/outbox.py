"""The outbox: mail waiting to be sent, claimed by one worker at a time.

Usage::

    outbox = Outbox(sessions, clock)
    await outbox.enqueue(key, "password_reset", {"user_code": ..., "email": ...})
    mail = await outbox.claim(lease=dt.timedelta(minutes=5))       # worker side
    await outbox.mark_sent(mail, message_id, "m***@exemple.ca")    # or mark_retry / mark_skipped

Exactly once: ``key`` is unique, so the same logical mail is enqueued once; a claim is
taken under the one leasing rule of :mod:`bot.jobs`, so two workers never send the same
row; and ``sent`` is final. A worker that dies mid-send loses its claim when the lease
ends, and the row is tried again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.clock import Clock, system_clock
from bot.db.mail_models import OutboxMail
from bot.jobs import LeasedJobs

__all__ = ["Outbox", "queued_mail", "stored_key"]

_KEY_CHARS: int = OutboxMail.__table__.c.key.type.length


def stored_key(key: str) -> str:
    """The outbox key as stored: as given up to the column's 64 characters, else its SHA-256.

    Callers build keys from what makes a mail one ("triage:" + a SHA-256, "handoff:12:contact:"
    + an address); SQLite ignores a VARCHAR's length but PostgreSQL refuses a longer value,
    which failed every automatic triage answer there.
    """
    if len(key) <= _KEY_CHARS:
        return key
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def queued_mail(key: str, kind: str, params: dict[str, Any], now: dt.datetime) -> OutboxMail:
    """A new row of the outbox, due at once. Added in the caller's transaction, it goes out
    only if that transaction commits (the triage files a mail and queues its answer at once)."""
    return OutboxMail(
        key=stored_key(key),
        kind=kind,
        params=params,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


class Outbox:
    """Reads and writes the ``outbox`` table."""

    def __init__(self, sessions: sessionmaker, clock: Clock = system_clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._jobs = LeasedJobs(sessions, OutboxMail, waiting="pending", clock=clock)
        # Set on enqueue so that a worker in this process starts at once instead of
        # waiting for its next poll.
        self.wakeup = asyncio.Event()

    async def enqueue(self, key: str, kind: str, params: dict[str, Any]) -> bool:
        """Queue one mail; False (and nothing queued) if ``key`` was queued before."""
        now = self._clock()
        try:
            async with self._sessions() as session, session.begin():
                session.add(queued_mail(key, kind, params, now))
        except IntegrityError:
            return False
        self.wakeup.set()
        return True

    async def claim(self, lease: dt.timedelta) -> OutboxMail | None:
        """The next mail due, now held by the caller until ``lease`` ends; None if none is due."""
        return await self._jobs.claim(lease)

    async def mark_sent(self, mail: OutboxMail, message_id: str, recipient_hint: str) -> bool:
        """Record the delivery; False if the claim had already been lost."""
        return await self._jobs.complete(
            mail,
            status="sent",
            sent_at=self._clock(),
            message_id=message_id,
            recipient_hint=recipient_hint,
            last_error=None,
            params={},  # the parameters (user code, address) have done their job
        )

    async def mark_skipped(self, mail: OutboxMail, reason: str) -> bool:
        """Nothing to send (e.g. no account matched): done, without a mail."""
        return await self._jobs.complete(mail, status="skipped", last_error=reason[:255], params={})

    async def mark_retry(self, mail: OutboxMail, error: str, delay: dt.timedelta) -> bool:
        """Give the row back, to be tried again after ``delay``."""
        return await self._jobs.retry(mail, delay, error)

    async def counts(self) -> dict[str, int]:
        """How many rows are in each state (for tests and health pages)."""
        async with self._sessions() as session:
            rows = await session.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status))
            return {status: count for status, count in rows.all()}
