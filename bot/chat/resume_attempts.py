"""Wrong resume codes, counted per client address in the database limits every hub shares
(codes themselves: :mod:`bot.db.resume_codes`)."""

from __future__ import annotations

from bot.limits.database import Rule, SharedRateLimits

__all__ = ["ResumeAttempts"]


class ResumeAttempts:
    """Failed resume-code attempts per client address, in the shared database limits.

    In the ``rate_limit_hits`` table rather than in memory, so that every hub process (and
    a restarted one) counts the same guesses::

        attempts = ResumeAttempts(limits, limit=10, window=900.0)
        if await attempts.exhausted(client): ...   # refuse without looking the code up
        await attempts.record(client)               # after a code that matched nothing
    """

    def __init__(self, limits: SharedRateLimits, limit: int, window: float) -> None:
        self._limits = limits
        self._limit = limit
        self._window = window

    def _rule(self, client: str) -> Rule:
        return Rule("resume_attempts", client, self._limit, self._window)

    async def exhausted(self, client: str) -> bool:
        return await self._limits.exhausted(self._rule(client))

    async def record(self, client: str) -> None:
        await self._limits.record(self._rule(client))
