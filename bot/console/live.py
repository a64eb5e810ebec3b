"""GET /console/ws: live updates for a signed-in agent's console.

Server -> console frames (JSON): ``{"type": "queue"}`` (the queue changed: reload it) and
``{"type": "message", "handoff_id", "id", "author", "text", "buttons", "ts"}`` (a new line
in a conversation this agent may see). The console sends nothing; an open socket whose
sign-in session is alive is what counts the agent as online.

A conversation page connects with ``?handoff=<number>&after=<its last line's id>``: once
the socket is counted, the lines written since (between the page's rendering and the
socket, or while it was reconnecting) come first, as ``message`` frames; the page skips any
it already shows. Without that, a person's message written in that moment reached neither.

A socket lives no longer than its session: logging out closes it at once, and it is
closed with ``SIGNED_OUT`` (4401, :mod:`bot.console.sockets`) when the session goes idle -- found by a re-check every
``Settings.console_session_check_seconds`` and before any frame is sent past the
session's known end. The re-check is not activity: a console left open goes idle.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import WSMsgType, web

from bot.appkeys import AGENTS, CLOCK, CONSOLES, HANDOFFS, LIVE, SETTINGS, WEBSOCKETS
from bot.chat.ws import origin_allowed
from bot.console.agents import session_key
from bot.console.auth import SESSION_COOKIE
from bot.console.sockets import close_signed_out
from bot.handoff.store import may_see
from bot.mail.addresses import mask_emails_in
from bot.request_input import query_id

__all__ = ["console_websocket"]


async def console_websocket(request: web.Request) -> web.StreamResponse:
    if not origin_allowed(request):
        raise web.HTTPForbidden(text="origin not allowed")
    app = request.app
    agents, clock = app[AGENTS], app[CLOCK]
    session_id = request.cookies.get(SESSION_COOKIE, "")
    who = await agents.session(session_id)
    ends_at = await agents.expires_at(session_id) if who is not None else None
    if who is None or ends_at is None:
        raise web.HTTPUnauthorized(text="sign in first")
    live, sockets = app[LIVE], app[CONSOLES]
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=4096)
    await ws.prepare(request)

    async def still_signed_in() -> bool:
        """Re-read the session's end when the one known has passed; close the socket if it ended."""
        nonlocal ends_at
        if ends_at is not None and clock() < ends_at:
            return True
        ends_at = await agents.expires_at(session_id)
        if ends_at is None:
            sockets.sign_out_soon(ws)
            return False
        return True

    async def send(frame: dict[str, Any]) -> None:
        if not ws.closed and await still_signed_in():
            if isinstance(frame.get("text"), str):
                # As on the conversation page: agents see transcripts with addresses masked.
                frame = {**frame, "text": mask_emails_in(frame["text"])}
            await ws.send_json(frame)

    async def watch() -> None:
        interval = app[SETTINGS].console_session_check_seconds
        while not ws.closed:
            await asyncio.sleep(interval)
            ends_at_now = await agents.expires_at(session_id)  # catches a logout in another process too
            if ends_at_now is None:
                await sockets.sign_out(ws)
                return

    sockets.add(session_id, ws)
    app[WEBSOCKETS].add(ws)
    watcher = asyncio.create_task(watch())
    console_id = await live.attach_console(who.agent.id, send, session_key(session_id))
    try:
        # Attached first, then the catch-up: a line written now arrives live, maybe twice.
        with contextlib.suppress(ConnectionError, RuntimeError):  # closed under us: the loop ends
            for frame in await _missed_lines(request, who.agent.id):
                await send(frame)
        async for message in ws:
            if message.type == WSMsgType.ERROR:
                break
    finally:
        await live.detach_console(console_id)
        sockets.discard(session_id, ws)
        app[WEBSOCKETS].discard(ws)
        if sockets.signed_out(ws):
            await close_signed_out(ws)
        watcher.cancel()
    return ws


async def _missed_lines(request: web.Request, agent_id: int) -> list[dict[str, Any]]:
    """The lines of ``?handoff=`` after ``?after=`` (none if this agent may not see it)."""
    handoff_id = query_id(request, "handoff")
    if handoff_id is None:
        return []
    handoffs = request.app[HANDOFFS]
    handoff = await handoffs.get(handoff_id)
    if handoff is None or not may_see(handoff, agent_id):
        return []
    return await handoffs.lines_after(handoff, query_id(request, "after") or 0)
