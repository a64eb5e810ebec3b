"""Live events (frames for widgets and consoles, sign-outs) to every hub process.

Usage::

    bus = LocalBus()                                # one process (``make run``)
    bus = RedisBus(redis, hub_id="a1b2…")           # several hubs sharing one Redis
    bus.on("widget", deliver)                       # once per topic, by its owner's constructor
    await bus.start()                               # Services.start_workers
    await bus.publish("widget", {"conversation": ..., "frame": {...}})
    await bus.stop()                                # Services.stop_workers

A message is JSON (checked on every publish, in one process too) and is delivered to the
topic's handler in this process at once, then to the other hubs through Redis pub/sub
(channel :func:`bot.cluster.keys.channel`), where each hub's one subscriber task hands it
to its own handler and skips its own messages. Delivery is fire-and-forget: what matters
is in the database, a frame only saves the console or the widget a reload. So a hub
keeps serving its own sockets while Redis is away, and the subscriber reconnects with
backoff, logging the outage once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from bot.cluster import keys
from bot.cluster.outage import Outage

__all__ = ["Bus", "Handler", "LocalBus", "RedisBus"]

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]

# Reconnection backoff of the subscriber, in seconds: doubled from the first to the last.
_BACKOFF_FIRST = 0.1
_BACKOFF_MAX = 5.0
# How long start() waits for the first subscription before going on without it.
_START_WAIT_SECONDS = 3.0


class Bus(Protocol):
    def on(self, topic: str, handler: Handler) -> None: ...

    async def publish(self, topic: str, message: dict[str, Any]) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class LocalBus:
    """Delivery within this process only."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def on(self, topic: str, handler: Handler) -> None:
        if topic in self._handlers:
            raise ValueError(f"live topic {topic!r} already has a handler")
        self._handlers[topic] = handler

    async def publish(self, topic: str, message: dict[str, Any]) -> None:
        # The JSON round trip holds one process to what crosses hubs: a frame that works
        # with ``make run`` works with several hubs.
        await self._deliver(topic, json.loads(json.dumps(message)))

    async def _deliver(self, topic: str, message: dict[str, Any]) -> None:
        handler = self._handlers.get(topic)
        if handler is None:
            log.warning("live topic %r has no handler", topic)
            return
        try:
            await handler(message)
        except Exception:  # one bad frame must not stop the others, nor the subscriber
            log.exception("live %r frame not delivered", topic)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass


class RedisBus(LocalBus):
    """This process's delivery, and Redis pub/sub to and from the other hubs."""

    def __init__(self, redis: Redis, *, hub_id: str) -> None:
        super().__init__()
        self._redis = redis
        self.hub_id = hub_id
        self._task: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._outage = Outage(log, "live bus: Redis unreachable, live frames stay on this hub")

    @property
    def subscribed(self) -> bool:
        """Whether frames from the other hubs arrive now."""
        return self._subscribed.is_set()

    async def publish(self, topic: str, message: dict[str, Any]) -> None:
        data = json.dumps({"hub": self.hub_id, "message": message})
        await self._deliver(topic, json.loads(data)["message"])
        try:
            await self._redis.publish(keys.channel(topic), data)
        except RedisError as exc:
            self._outage.down(exc)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._subscribe_forever(), name="live-bus")
            # The first subscription before the hub takes requests, when Redis is there:
            # a frame another hub sends right after we start is not lost.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._subscribed.wait(), _START_WAIT_SECONDS)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def wait_subscribed(self, timeout: float) -> None:
        """Until frames from the other hubs arrive (after an outage); TimeoutError otherwise."""
        await asyncio.wait_for(self._subscribed.wait(), timeout)

    async def _subscribe_forever(self) -> None:
        delay = _BACKOFF_FIRST
        by_channel = {keys.channel(topic): topic for topic in self._handlers}
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*by_channel)
                self._subscribed.set()
                self._outage.up()
                delay = _BACKOFF_FIRST
                await self._receive(pubsub, by_channel)
            except (RedisError, OSError) as exc:
                self._subscribed.clear()
                self._outage.down(exc)
            except Exception as exc:  # a bug must not end cross-hub delivery for good
                self._subscribed.clear()
                if not self._outage.is_down:
                    log.exception("live bus: subscriber failed, retrying")
                self._outage.down(exc)
            finally:
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.reset()
            await asyncio.sleep(delay)
            delay = min(delay * 2, _BACKOFF_MAX)

    async def _receive(self, pubsub: PubSub, by_channel: dict[str, str]) -> None:
        while True:
            # A bounded read: the client's socket timeout would otherwise end an idle
            # subscription as if Redis had gone.
            raw = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            if raw is None or raw.get("type") != "message":
                continue
            channel = raw["channel"].decode() if isinstance(raw["channel"], bytes) else raw["channel"]
            try:
                envelope = json.loads(raw["data"])
                sender, message = envelope["hub"], envelope["message"]
            except (ValueError, TypeError, KeyError):
                log.warning("live bus: unreadable message on %s", channel)
                continue
            if sender != self.hub_id and isinstance(message, dict) and channel in by_channel:
                await self._deliver(by_channel[channel], message)
