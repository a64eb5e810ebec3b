"""The outbox: mail waiting to be sent, claimed by one worker at a time.

Usage::

    outbox = Outbox(sessions, clock)
    await outbox.enqueue(key, "password_reset", {"user_code": ..., "email": ...})
    mail = await outbox.claim(lease=dt.timedelta(minutes=5))       # worker side
    await outbox.mark_sent(mail, message_id, "m***@exemple.ca")    # or mark_retry / mark_skipped

Exactly once: ``key`` is unique, so the same logical mail is enqueued once; a claim is
taken by a conditional UPDATE inside a transaction, so two workers never send the same
row; and ``sent`` is final. A worker that dies mid-send loses its claim when the lease
ends, and the row is tried again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import secrets
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.clock import Clock, system_clock
from bot.db.mail_models import OutboxMail

__all__ = ["Outbox"]


class Outbox:
    """Reads and writes the ``outbox`` table."""

    def __init__(self, sessions: sessionmaker, clock: Clock = system_clock) -> None:
        self._sessions = sessions
        self._clock = clock
        # Set on enqueue so that a worker in this process starts at once instead of
        # waiting for its next poll.
        self.wakeup = asyncio.Event()

    async def enqueue(self, key: str, kind: str, params: dict[str, Any]) -> bool:
        """Queue one mail; False (and nothing queued) if ``key`` was queued before."""
        now = self._clock()
        try:
            async with self._sessions() as session, session.begin():
                session.add(
                    OutboxMail(
                        key=key,
                        kind=kind,
                        params=params,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
        except IntegrityError:
            return False
        self.wakeup.set()
        return True

    async def claim(self, lease: dt.timedelta) -> OutboxMail | None:
        """The next mail due, now held by the caller until ``lease`` ends; None if none is due."""
        now = self._clock()
        claimable = (
            OutboxMail.status == "pending",
            OutboxMail.next_attempt_at <= now,
            or_(OutboxMail.claimed_until.is_(None), OutboxMail.claimed_until < now),
        )
        claim = secrets.token_hex(8)
        async with self._sessions() as session, session.begin():
            mail_id = await session.scalar(
                select(OutboxMail.id)
                .where(*claimable)
                .order_by(OutboxMail.next_attempt_at, OutboxMail.id)
                .limit(1)
            )
            if mail_id is None:
                return None
            taken = await session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == mail_id, *claimable)
                .values(claim=claim, claimed_until=now + lease, attempts=OutboxMail.attempts + 1)
            )
            if taken.rowcount != 1:
                return None  # another worker was faster
            return await session.get(OutboxMail, mail_id, populate_existing=True)

    async def mark_sent(self, mail: OutboxMail, message_id: str, recipient_hint: str) -> bool:
        """Record the delivery; False if the claim had already been lost."""
        return await self._finish(
            mail,
            status="sent",
            sent_at=self._clock(),
            message_id=message_id,
            recipient_hint=recipient_hint,
            last_error=None,
        )

    async def mark_skipped(self, mail: OutboxMail, reason: str) -> bool:
        """Nothing to send (e.g. no account matched): done, without a mail."""
        return await self._finish(mail, status="skipped", last_error=reason[:255])

    async def mark_retry(self, mail: OutboxMail, error: str, delay: dt.timedelta) -> None:
        """Give the row back, to be tried again after ``delay``."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == mail.id, OutboxMail.claim == mail.claim)
                .values(
                    claim=None,
                    claimed_until=None,
                    next_attempt_at=self._clock() + delay,
                    last_error=error[:255],
                )
            )

    async def _finish(self, mail: OutboxMail, **values: Any) -> bool:
        # The parameters (user code, address) have done their job: do not keep them.
        async with self._sessions() as session, session.begin():
            done = await session.execute(
                update(OutboxMail)
                .where(OutboxMail.id == mail.id, OutboxMail.claim == mail.claim)
                .values(claim=None, claimed_until=None, params={}, **values)
            )
            return bool(done.rowcount == 1)

    async def counts(self) -> dict[str, int]:
        """How many rows are in each state (for tests and health pages)."""
        async with self._sessions() as session:
            rows = await session.execute(select(OutboxMail.status, func.count()).group_by(OutboxMail.status))
            return {status: count for status, count in rows.all()}
