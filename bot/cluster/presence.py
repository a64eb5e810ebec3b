"""Which agents have a console open, on this hub or on every hub.

Usage::

    presence = LocalPresence()                      # one process
    presence = RedisPresence(redis, hub_id="a1b2…") # several hubs
    await presence.add(console_id, agent_id, session_key)
    await presence.remove(console_id)
    await presence.consoles()                       # [(agent_id, session_key), ...] on every hub

``session_key`` is the digest the agents' table keeps of the sign-in session
(:func:`bot.console.agents.session_key`), never the session id: the caller checks in the
database which of these sessions are alive (an agent logged out or idle is not online).

In Redis, one sorted set (:data:`bot.cluster.keys.CONSOLES`) holds every hub's consoles,
each scored by when its entry expires; each hub refreshes its own every
``ttl_seconds / 6`` (:meth:`RedisPresence.start`; one ZADD), so the consoles of a hub that
was killed drop out within ``ttl_seconds``, and a Redis restarted empty has them back within
seconds. Redis unreachable: this hub's consoles only.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.cluster import keys
from bot.cluster.outage import Outage

__all__ = ["LocalPresence", "Presence", "RedisPresence"]

log = logging.getLogger(__name__)

Console = tuple[int, str]  # (agent id, session key)


class Presence:
    """The consoles open in this process (the base of both)."""

    def __init__(self) -> None:
        self._mine: dict[str, Console] = {}

    async def add(self, console_id: str, agent_id: int, session_key: str) -> None:
        self._mine[console_id] = (agent_id, session_key)

    async def remove(self, console_id: str) -> None:
        self._mine.pop(console_id, None)

    async def consoles(self) -> list[Console]:
        return list(self._mine.values())

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


class LocalPresence(Presence):
    """One hub process: its own consoles are all there is."""


class RedisPresence(Presence):
    def __init__(self, redis: Redis, *, hub_id: str, ttl_seconds: float = 30.0) -> None:
        super().__init__()
        self._redis = redis
        self._hub_id = hub_id
        self._ttl = ttl_seconds
        self._task: asyncio.Task[None] | None = None
        self._outage = Outage(log, "console presence: Redis unreachable, counting this hub's consoles only")

    def _member(self, console_id: str) -> str:
        agent_id, session_key = self._mine[console_id]
        return json.dumps([self._hub_id, console_id, agent_id, session_key])

    async def add(self, console_id: str, agent_id: int, session_key: str) -> None:
        await super().add(console_id, agent_id, session_key)
        await self._write({self._member(console_id): time.time() + self._ttl})

    async def remove(self, console_id: str) -> None:
        if console_id not in self._mine:
            return
        member = self._member(console_id)
        await super().remove(console_id)
        try:
            await self._redis.zrem(keys.CONSOLES, member)
        except RedisError as exc:
            self._outage.down(exc)  # its entry expires by itself

    async def consoles(self) -> list[Console]:
        mine = await super().consoles()
        try:
            members = await self._redis.zrangebyscore(keys.CONSOLES, time.time(), "+inf")
        except RedisError as exc:
            self._outage.down(exc)
            return mine
        self._outage.up()
        found = []
        for raw in members:
            try:
                hub, _console, agent_id, session_key = json.loads(raw)
            except (ValueError, TypeError):
                continue
            if hub != self._hub_id:
                found.append((int(agent_id), str(session_key)))
        return mine + found

    async def _write(self, members: dict[str, float]) -> None:
        if not members:
            return
        try:
            await self._redis.zadd(keys.CONSOLES, members)
        except RedisError as exc:
            self._outage.down(exc)  # the next refresh writes them again
        else:
            self._outage.up()

    async def refresh(self) -> None:
        """Push this hub's entries' expiry forward; drop every hub's expired ones."""
        expires = time.time() + self._ttl
        await self._write({self._member(console): expires for console in list(self._mine)})
        with contextlib.suppress(RedisError):
            await self._redis.zremrangebyscore(keys.CONSOLES, "-inf", time.time())

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._refresh_forever(), name="console-presence")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        # This hub stops: its consoles are no longer anyone's.
        for console_id in list(self._mine):
            await self.remove(console_id)

    async def _refresh_forever(self) -> None:
        while True:
            await asyncio.sleep(self._ttl / 6)
            await self.refresh()
