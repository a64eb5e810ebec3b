"""One turn at a time per conversation, in one hub process or across hubs.

Usage::

    locks = LocalTurnLocks()                       # one process (``make run``)
    locks = RedisTurnLocks(redis, expiry_seconds=35, wait_seconds=36)
    async with locks.hold(conversation_id):        # raises TurnBusy after the bounded wait
        ...                                        # store the message, ask Rasa, store replies

Two tabs on one conversation, served by two hubs, must not have Rasa process two of its
messages at once, or the replies would be stored out of order. The Redis lock expires
(``expiry_seconds``, longer than a turn can take) so that a hub killed mid-turn frees the
conversation; a waiter gives up after ``wait_seconds`` with :class:`TurnBusy`, which the
relay turns into the "assistant unavailable" answer instead of leaving the person hanging.
While Redis cannot be reached, turns are ordered within each hub only (logged once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import AsyncIterator
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import LockError, RedisError

from bot.cluster import keys
from bot.cluster.outage import Outage

__all__ = ["LocalTurnLocks", "RedisTurnLocks", "TurnBusy", "TurnLocks"]

log = logging.getLogger(__name__)

# How often a waiter asks Redis again; a turn takes a second or more, so this costs little.
_POLL_SECONDS = 0.05


class TurnBusy(Exception):
    """Another turn of this conversation held it for longer than the bounded wait."""


class TurnLocks(Protocol):
    def hold(self, conversation_id: str) -> contextlib.AbstractAsyncContextManager[None]: ...


class LocalTurnLocks:
    """An asyncio lock per conversation, alive while someone holds or waits for it."""

    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def lock(self, conversation_id: str) -> asyncio.Lock:
        lock = self._locks.get(conversation_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conversation_id] = lock
        return lock

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        async with self.lock(conversation_id):
            yield


class RedisTurnLocks:
    """A Redis lock per conversation (key :func:`bot.cluster.keys.turn_lock`), taken
    after this process's own lock, so that a hub's waiters queue in order and only one of
    them polls Redis."""

    def __init__(self, redis: Redis, *, expiry_seconds: float, wait_seconds: float) -> None:
        self._redis = redis
        self._expiry = expiry_seconds
        self._wait = wait_seconds
        self._local = LocalTurnLocks()
        self._outage = Outage(log, "turn locks: Redis unreachable, turns are ordered within this hub only")

    @contextlib.asynccontextmanager
    async def hold(self, conversation_id: str) -> AsyncIterator[None]:
        local = self._local.lock(conversation_id)
        try:
            await asyncio.wait_for(local.acquire(), self._wait)
        except asyncio.TimeoutError:
            raise TurnBusy(conversation_id) from None
        try:
            async with self._shared(conversation_id):
                yield
        finally:
            local.release()

    @contextlib.asynccontextmanager
    async def _shared(self, conversation_id: str) -> AsyncIterator[None]:
        lock = self._redis.lock(
            keys.turn_lock(conversation_id),
            timeout=self._expiry,
            sleep=_POLL_SECONDS,
            blocking_timeout=self._wait,
            thread_local=False,  # one object per turn; tasks share a thread
        )
        try:
            acquired = await lock.acquire()
        except RedisError as exc:
            self._outage.down(exc)
            acquired = None  # this hub's lock alone
        else:
            self._outage.up()
            if not acquired:
                raise TurnBusy(conversation_id)
        try:
            yield
        finally:
            if acquired:
                with contextlib.suppress(LockError, RedisError):
                    # Expired (the turn outlasted the expiry) or Redis went away: the key
                    # frees itself at its expiry.
                    await lock.release()
