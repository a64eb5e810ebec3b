"""What hub processes share: turn locks, live events, consoles online, marks.

Usage (``bot.services.build_services`` does this)::

    cluster = build_cluster(settings)     # in memory, or Redis when GEM_REDIS_URL is set
    relay = ChatRelay(..., locks=cluster.locks)
    live = LiveChannels(cluster.bus, cluster.presence, live_sessions=...)
    await cluster.start()                 # Services.start_workers: subscriber, presence refresh
    await cluster.stop()                  # Services.stop_workers

With ``GEM_REDIS_URL`` empty (``make run``) everything lives in the one process, as it
always did. Why Redis pub/sub and locks: docs/ARCHITECTURE.md, "Beyond one process".
"""

from __future__ import annotations

import dataclasses
import secrets

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.cluster import keys
from bot.cluster.bus import Bus, LocalBus, RedisBus
from bot.cluster.locks import LocalTurnLocks, RedisTurnLocks, TurnBusy, TurnLocks
from bot.cluster.marks import LocalMarks, Marks, RedisMarks
from bot.cluster.presence import LocalPresence, Presence, RedisPresence
from bot.settings import Settings

__all__ = ["Cluster", "TurnBusy", "build_cluster"]

# A turn lock outlives the longest turn: Rasa's timeout, the action server's health check
# when Rasa answered nothing, and the database writes around them.
_TURN_MARGIN_SECONDS = 10.0
# Redis calls give up after this: a hub whose Redis hangs still answers its own people.
_REDIS_SOCKET_SECONDS = 2.0
# A "Did this help?" mark not taken by the end of its turn waits for the next visit.
_DUE_SECONDS = 24 * 3600


@dataclasses.dataclass(frozen=True)
class Cluster:
    """The shared parts, in memory or in Redis, and what starts and stops them."""

    locks: TurnLocks
    bus: Bus
    presence: Presence
    satisfaction_due: Marks
    redis: Redis | None = None

    async def start(self) -> None:
        await self.bus.start()
        await self.presence.start()

    async def stop(self) -> None:
        await self.presence.stop()
        await self.bus.stop()
        if self.redis is not None:
            await self.redis.close()
            await self.redis.connection_pool.disconnect()


def build_cluster(settings: Settings) -> Cluster:
    """In memory when ``settings.redis_url`` is empty, else shared through that Redis.

    Connects to nothing yet: the first command or :meth:`Cluster.start` does.
    """
    if not settings.redis_url:
        return Cluster(LocalTurnLocks(), LocalBus(), LocalPresence(), LocalMarks())
    redis = Redis.from_url(
        settings.redis_url,
        socket_timeout=_REDIS_SOCKET_SECONDS,
        socket_connect_timeout=_REDIS_SOCKET_SECONDS,
        # A connection idle this long is checked first: the live bus's subscription
        # notices a Redis that vanished without closing its connections.
        health_check_interval=15,
        # Once more on a new connection: after Redis restarts, the pooled ones are dead.
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[RedisConnectionError],
    )
    hub_id = secrets.token_hex(8)  # this process, for its own messages and presence entries
    expiry = settings.rasa_timeout_seconds + settings.health_timeout_seconds + _TURN_MARGIN_SECONDS
    return Cluster(
        locks=RedisTurnLocks(redis, expiry_seconds=expiry, wait_seconds=expiry + 1.0),
        bus=RedisBus(redis, hub_id=hub_id),
        presence=RedisPresence(redis, hub_id=hub_id),
        satisfaction_due=RedisMarks(redis, keys.satisfaction_due, ttl_seconds=_DUE_SECONDS),
        redis=redis,
    )
