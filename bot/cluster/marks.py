"""Marks set by one request and taken by a later one, maybe on another hub.

Usage::

    due = LocalMarks()                                   # one process
    due = RedisMarks(redis, keys.satisfaction_due, ttl_seconds=86400)
    await due.put(conversation_id)                       # the internal API, hub B
    if await due.take(conversation_id): ...              # the end of the turn, hub A

Used for "Did this help?" due after a reset mail: the action server may call the internal
API of another hub than the one running the turn. A Redis mark expires after
``ttl_seconds`` (the person left before the turn ended; the question then waits for the
next visit, :meth:`bot.satisfaction.chat.ChatSatisfaction.on_open`). Redis unreachable:
this hub's marks only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.cluster.outage import Outage

__all__ = ["LocalMarks", "Marks", "RedisMarks"]

log = logging.getLogger(__name__)


class Marks:
    """Marks in this process (the base of both)."""

    def __init__(self) -> None:
        self._set: set[str] = set()

    async def put(self, name: str) -> None:
        self._set.add(name)

    async def take(self, name: str) -> bool:
        """Whether ``name`` was marked; the mark is gone afterwards."""
        if name in self._set:
            self._set.discard(name)
            return True
        return False


class LocalMarks(Marks):
    """One hub process."""


class RedisMarks(Marks):
    def __init__(self, redis: Redis, key: Callable[[str], str], *, ttl_seconds: int) -> None:
        super().__init__()
        self._redis = redis
        self._key = key
        self._ttl = ttl_seconds
        self._outage = Outage(log, "marks: Redis unreachable, kept in this hub only")

    async def put(self, name: str) -> None:
        try:
            await self._redis.set(self._key(name), b"1", ex=self._ttl)
        except RedisError as exc:
            self._outage.down(exc)
            await super().put(name)
        else:
            self._outage.up()

    async def take(self, name: str) -> bool:
        mine = await super().take(name)  # put while Redis was away
        try:
            shared = await self._redis.getdel(self._key(name))
        except RedisError as exc:
            self._outage.down(exc)
            return mine
        self._outage.up()
        return mine or shared is not None
