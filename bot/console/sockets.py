"""The open console sockets by sign-in session, so that ending a session closes them.

Usage::

    sockets = ConsoleSockets(bus)            # bus: bot.cluster.bus (this hub, or every hub)
    sockets.add(session_id, ws)              # bot.console.live, while the socket is open
    await sockets.close_session(session_id)  # logout: the console goes to the login page
    sockets.sign_out_soon(ws)                # the session was found idle while sending

An agent's consoles may be open on other hub processes than the one where they log out:
:meth:`ConsoleSockets.close_session` tells every hub through the live bus, naming the
session by its key (:func:`bot.console.agents.session_key`), never by its id.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import Any

from aiohttp import web

from bot.cluster.bus import Bus, LocalBus
from bot.console.agents import session_key

__all__ = ["SIGNED_OUT", "ConsoleSockets", "close_signed_out"]

# Close code when the session ended (logout or idle): the console reloads to the login page.
SIGNED_OUT = 4401
# The live bus's topic for "this session ended".
_SIGN_OUT = "sign-out"


class ConsoleSockets:
    """The open console sockets by sign-in session, so that ending a session closes them."""

    def __init__(self, bus: Bus | None = None) -> None:
        """``bus`` defaults to this process alone."""
        self._by_session: dict[str, set[web.WebSocketResponse]] = {}  # by session key
        self._ended: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()
        self._closing: set[asyncio.Task[None]] = set()
        self._bus = bus or LocalBus()
        self._bus.on(_SIGN_OUT, self._signed_out_everywhere)

    def add(self, session_id: str, ws: web.WebSocketResponse) -> None:
        self._by_session.setdefault(session_key(session_id), set()).add(ws)

    def discard(self, session_id: str, ws: web.WebSocketResponse) -> None:
        key = session_key(session_id)
        sockets = self._by_session.get(key, set())
        sockets.discard(ws)
        if not sockets:
            self._by_session.pop(key, None)

    def signed_out(self, ws: web.WebSocketResponse) -> bool:
        """Whether this socket is closing because its session ended."""
        return ws in self._ended

    async def close_session(self, session_id: str) -> None:
        """Close every console socket of this session (it has just ended), on every hub."""
        await self._bus.publish(_SIGN_OUT, {"session": session_key(session_id)})

    async def _signed_out_everywhere(self, message: dict[str, Any]) -> None:
        for ws in list(self._by_session.get(str(message["session"]), ())):
            await self.sign_out(ws)

    async def sign_out(self, ws: web.WebSocketResponse) -> None:
        self._ended.add(ws)
        await close_signed_out(ws)

    def sign_out_soon(self, ws: web.WebSocketResponse) -> None:
        """:meth:`sign_out` in the background: whoever was sending a frame need not wait for
        the console's closing handshake."""
        task = asyncio.create_task(self.sign_out(ws))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)


async def close_signed_out(ws: web.WebSocketResponse) -> None:
    # A close() from another task only breaks the handler's receive loop; the handler then
    # closes with this code itself (bot.console.live), before aiohttp's own close with
    # 1000 once the handler returns.
    with contextlib.suppress(ConnectionError, RuntimeError):
        await ws.close(code=SIGNED_OUT, message=b"signed out")
