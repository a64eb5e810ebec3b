"""Rate limits kept in the database, so that every hub process counts the same requests.

Usage::

    limits = SharedRateLimits(sessions, clock, transactions)   # transactions: optional
    wait = await limits.hit([Rule("email", "marie@exemple.ca", limit=3, window=3600.0), ...])
    if wait is not None:
        ...  # refused: nothing was counted; answer 429 with Retry-After: ceil(wait)

Keys are stored as SHA-256 hashes: the table says how often, never who.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, system_clock
from bot.db.account_models import RateLimitHit
from bot.db.dialect import serialize_on
from bot.db.transactions import Transactions, in_session

__all__ = ["Rule", "SharedRateLimits"]

# Hits older than this are forgotten by the occasional full sweep (longer than any window).
_SWEEP_AGE = dt.timedelta(days=2)
_SWEEP_EVERY = 200


@dataclass(frozen=True)
class Rule:
    """At most ``limit`` hits per ``window`` seconds for one (scope, value)."""

    scope: str
    value: str
    limit: int
    window: float

    @property
    def key(self) -> str:
        return hashlib.sha256(f"{self.scope}:{self.value}".encode()).hexdigest()


class _Refused(Exception):
    def __init__(self, wait: float) -> None:
        self.wait = wait


class SharedRateLimits:
    """Sliding-window limits over the ``rate_limit_hits`` table."""

    def __init__(
        self, sessions: sessionmaker, clock: Clock = system_clock, transactions: Transactions | None = None
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._transactions = transactions
        self._calls = 0

    async def exhausted(self, rule: Rule) -> bool:
        """Whether ``rule`` has no room left now; counts nothing (see :meth:`record`)."""
        since = self._clock() - dt.timedelta(seconds=rule.window)
        async with self._sessions() as session:
            count = await session.scalar(
                select(func.count())
                .select_from(RateLimitHit)
                .where(RateLimitHit.key == rule.key, RateLimitHit.at > since)
            )
        return int(count or 0) >= rule.limit

    async def record(self, rule: Rule) -> None:
        """Count one hit under ``rule`` (for limits on failures: check, try, then record)."""
        async with self._sessions() as session, session.begin():
            session.add(RateLimitHit(key=rule.key, at=self._clock()))

    async def hit(self, rules: list[Rule]) -> float | None:
        """Count one hit under every rule, or none if any rule is exhausted.

        Returns None when counted, else the seconds until every exhausted rule has room.
        The hits are written first and counted after, in one transaction: on SQLite the
        write takes the lock, on PostgreSQL an advisory lock per rule (bot.db.dialect), so
        two processes cannot both see room for the last slot. A new chat conversation
        counts here, so it runs as one of the hub's ``transactions`` when it has them.
        """
        now = self._clock()
        self._calls += 1
        sweep = self._calls % _SWEEP_EVERY == 0

        def count(session: Session) -> None:
            if sweep:
                session.execute(delete(RateLimitHit).where(RateLimitHit.at < now - _SWEEP_AGE))
            serialize_on(session, [f"rate-limit:{rule.key}" for rule in rules])
            session.add_all([RateLimitHit(key=rule.key, at=now) for rule in rules])
            session.flush()
            waits = []
            for rule in rules:
                since = now - dt.timedelta(seconds=rule.window)
                session.execute(
                    delete(RateLimitHit).where(RateLimitHit.key == rule.key, RateLimitHit.at <= since)
                )
                times = session.scalars(
                    select(RateLimitHit.at)
                    .where(RateLimitHit.key == rule.key)
                    .order_by(RateLimitHit.at, RateLimitHit.id)
                ).all()
                if len(times) > rule.limit:
                    # Without this hit, the rule has room again once the oldest
                    # (count - limit + 1) earlier hits have left the window.
                    freed_at = times[len(times) - 1 - rule.limit] + dt.timedelta(seconds=rule.window)
                    waits.append(max(1.0, (freed_at - now).total_seconds()))
            if waits:
                raise _Refused(max(waits))  # rolls the hits back

        try:
            await in_session(self._sessions, self._transactions, count)
        except _Refused as refused:
            return refused.wait
        return None
