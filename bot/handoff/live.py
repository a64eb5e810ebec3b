"""Who is connected right now: people's widgets by conversation, and agents' consoles.

Usage::

    live = LiveChannels()
    live.attach_widget(conversation_id, send)      # send: async (frame) -> None
    await live.to_widget(conversation_id, frame)   # every open widget of that conversation
    live.attach_console(agent_id, send, session_id)
    await live.agents_online()                      # consoles open now, their sessions alive
    await live.to_consoles(frame, allowed=lambda agent_id: ...)

One hub process; several hubs would share these through Redis pub/sub (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

__all__ = ["LiveChannels", "Send"]

log = logging.getLogger(__name__)

Send = Callable[[dict[str, Any]], Awaitable[None]]
# Which of these console session ids are signed in now (bot.console.agents.AgentDirectory).
LiveSessions = Callable[[set[str]], Awaitable[set[str]]]


class LiveChannels:
    def __init__(self, live_sessions: LiveSessions | None = None) -> None:
        self._widgets: dict[str, list[Send]] = {}
        self._consoles: list[tuple[int, Send]] = []
        # Console sign-in session of each send; without ``live_sessions`` every one counts.
        self._console_sessions: dict[Send, str] = {}
        self._live_sessions = live_sessions

    def attach_widget(self, conversation_id: str, send: Send) -> None:
        self._widgets.setdefault(conversation_id, []).append(send)

    def detach_widget(self, conversation_id: str, send: Send) -> None:
        senders = self._widgets.get(conversation_id, [])
        if send in senders:
            senders.remove(send)
        if not senders:
            self._widgets.pop(conversation_id, None)

    def attach_console(self, agent_id: int, send: Send, session_id: str = "") -> None:
        self._consoles.append((agent_id, send))
        self._console_sessions[send] = session_id

    def detach_console(self, agent_id: int, send: Send) -> None:
        if (agent_id, send) in self._consoles:
            self._consoles.remove((agent_id, send))
        self._console_sessions.pop(send, None)

    async def agents_online(self) -> int:
        """How many agents have the console open and are still signed in (not logged out or idle)."""
        alive = None
        if self._live_sessions is not None:
            alive = await self._live_sessions(set(self._console_sessions.values()))
        return len(
            {a for a, send in self._consoles if alive is None or self._console_sessions.get(send) in alive}
        )

    async def to_widget(self, conversation_id: str, frame: dict[str, Any]) -> None:
        for send in list(self._widgets.get(conversation_id, [])):
            await _deliver(send, frame)

    async def to_consoles(self, frame: dict[str, Any], allowed: Callable[[int], bool]) -> None:
        for agent_id, send in list(self._consoles):
            if allowed(agent_id):
                await _deliver(send, frame)


async def _deliver(send: Send, frame: dict[str, Any]) -> None:
    try:
        await send(frame)
    except (ConnectionError, RuntimeError) as exc:  # a socket closing under us
        log.info("live frame not delivered: %r", exc)
