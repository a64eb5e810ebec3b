"""Who is connected right now: people's widgets by conversation, and agents' consoles.

Usage::

    live = LiveChannels(bus, presence, live_sessions=agents.live_session_keys)
    live.attach_widget(conversation_id, send)       # send: async (frame) -> None
    await live.to_widget(conversation_id, frame)    # every open widget of that conversation
    await live.attach_console(agent_id, send, session_key)
    await live.agents_online()                      # consoles open now, their sessions alive
    await live.to_consoles(frame, Audience.of(handoff))

Frames go through the live bus (:mod:`bot.cluster.bus`): to this hub's sockets, and with
Redis to every other hub's, so a person on one hub and an agent on another see each other
live. Frames are JSON, and who may receive a console frame is an :class:`Audience` (data,
not a function) for the same reason. Consoles count as online on every hub through
:mod:`bot.cluster.presence`.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from bot.cluster import keys
from bot.cluster.bus import Bus, LocalBus
from bot.cluster.presence import LocalPresence, Presence

__all__ = ["Audience", "LiveChannels", "Send"]

log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]
# Which of these console session keys are signed in now (bot.console.agents.AgentDirectory).
LiveSessions = Callable[[set[str]], Awaitable[set[str]]]

_WIDGET, _CONSOLES = "widget", "consoles"


@dataclasses.dataclass(frozen=True)
class Audience:
    """The agents whose consoles may receive a frame: everyone, or only ``agent_ids``."""

    agent_ids: frozenset[int] | None = None  # None: every agent

    @classmethod
    def everyone(cls) -> Audience:
        return cls(None)

    @classmethod
    def only(cls, *agent_ids: int) -> Audience:
        return cls(frozenset(agent_ids))

    def includes(self, agent_id: int) -> bool:
        return self.agent_ids is None or agent_id in self.agent_ids

    def to_json(self) -> list[int] | None:
        return None if self.agent_ids is None else sorted(self.agent_ids)

    @classmethod
    def from_json(cls, raw: object) -> Audience:
        if raw is None:
            return cls.everyone()
        if isinstance(raw, list) and all(isinstance(a, int) for a in raw):
            return cls(frozenset(raw))
        raise ValueError(f"not an audience: {raw!r}")


class LiveChannels:
    def __init__(
        self,
        bus: Bus | None = None,
        presence: Presence | None = None,
        *,
        live_sessions: LiveSessions | None = None,
    ) -> None:
        """``bus`` and ``presence`` default to this process alone; without
        ``live_sessions`` every open console counts as online."""
        self._widgets: dict[str, list[Send]] = {}  # by conversation key (keys.digest)
        self._consoles: dict[str, tuple[int, Send]] = {}  # console id -> (agent, send)
        self._console_ids = (str(n) for n in itertools.count(1))
        self._bus = bus or LocalBus()
        self._presence = presence or LocalPresence()
        self._live_sessions = live_sessions
        self._bus.on(_WIDGET, self._deliver_to_widgets)
        self._bus.on(_CONSOLES, self._deliver_to_consoles)

    def attach_widget(self, conversation_id: str, send: Send) -> None:
        self._widgets.setdefault(keys.digest(conversation_id), []).append(send)

    def detach_widget(self, conversation_id: str, send: Send) -> None:
        key = keys.digest(conversation_id)
        senders = self._widgets.get(key, [])
        if send in senders:
            senders.remove(send)
        if not senders:
            self._widgets.pop(key, None)

    async def attach_console(self, agent_id: int, send: Send, session_key: str = "") -> str:
        """Count this console as open; returns its id for :meth:`detach_console`."""
        console_id = next(self._console_ids)
        self._consoles[console_id] = (agent_id, send)
        await self._presence.add(console_id, agent_id, session_key)
        return console_id

    async def detach_console(self, console_id: str) -> None:
        self._consoles.pop(console_id, None)
        await self._presence.remove(console_id)

    async def agents_online(self) -> int:
        """How many agents have the console open, on any hub, and are still signed in
        (not logged out or idle)."""
        consoles = await self._presence.consoles()
        alive = None
        if self._live_sessions is not None:
            alive = await self._live_sessions({session for _, session in consoles})
        return len({agent for agent, session in consoles if alive is None or session in alive})

    async def to_widget(self, conversation_id: str, frame: dict[str, Any]) -> None:
        await self._bus.publish(_WIDGET, {"conversation": keys.digest(conversation_id), "frame": frame})

    async def to_consoles(self, frame: dict[str, Any], audience: Audience) -> None:
        await self._bus.publish(_CONSOLES, {"audience": audience.to_json(), "frame": frame})

    async def _deliver_to_widgets(self, message: dict[str, Any]) -> None:
        for send in list(self._widgets.get(str(message["conversation"]), [])):
            await _deliver(send, message["frame"])

    async def _deliver_to_consoles(self, message: dict[str, Any]) -> None:
        audience = Audience.from_json(message["audience"])
        for agent_id, send in list(self._consoles.values()):
            if audience.includes(agent_id):
                await _deliver(send, message["frame"])


async def _deliver(send: Send, frame: dict[str, Any]) -> None:
    try:
        await send(frame)
    except (ConnectionError, RuntimeError) as exc:  # a socket closing under us
        log.info("live frame not delivered: %r", exc)
