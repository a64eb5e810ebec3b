"""GET /console/ws: live updates for a signed-in agent's console.

Server -> console frames (JSON): ``{"type": "queue"}`` (the queue changed: reload it) and
``{"type": "message", "handoff_id", "id", "author", "text", "buttons", "ts"}`` (a new line
in a conversation this agent may see). The console sends nothing; an open socket is what
counts the agent as online.
"""

from __future__ import annotations

from typing import Any

from aiohttp import WSMsgType, web

from bot.appkeys import LIVE, WEBSOCKETS
from bot.console.auth import signed_in
from bot.ws_chat import origin_allowed

__all__ = ["console_websocket"]


async def console_websocket(request: web.Request) -> web.StreamResponse:
    if not origin_allowed(request):
        raise web.HTTPForbidden(text="origin not allowed")
    who = await signed_in(request)
    if who is None:
        raise web.HTTPUnauthorized(text="sign in first")
    ws = web.WebSocketResponse(heartbeat=30.0, max_msg_size=4096)
    await ws.prepare(request)

    async def send(frame: dict[str, Any]) -> None:
        if not ws.closed:
            await ws.send_json(frame)

    live = request.app[LIVE]
    live.attach_console(who.agent.id, send)
    request.app[WEBSOCKETS].add(ws)
    try:
        async for message in ws:
            if message.type == WSMsgType.ERROR:
                break
    finally:
        live.detach_console(who.agent.id, send)
        request.app[WEBSOCKETS].discard(ws)
    return ws
