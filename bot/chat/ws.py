"""The widget's chat protocol: JSON text frames over a WebSocket at ``/ws``.

Client → server
---------------
``{"type": "hello", "conversation_id": str|null, "resume_code": str|null,
"language": "fr"|"en", "user_agent": str}``
    Must be the first frame. Which conversation it opens: the one ``resume_code``
    belongs to (any case, dash optional, e.g. "k7qm-4hxt"), if valid; else the one named
    by ``conversation_id`` (from an earlier ``welcome``), if this server issued it; else a
    new one -- or, on a connection that already has a conversation, that one. So an id
    the server did not issue never opens anything, and a mistyped code sent with the
    current id leaves the person where they were. May be sent again on an open
    connection (a "resume" box in the widget).
``{"type": "message", "text": str, "payload": str|null}``
    ``payload`` is set when a quick-reply button was clicked: it must be the payload of a
    button the assistant offered in this conversation; the button's title is stored as
    the person's text and the payload goes to Rasa.
``{"type": "set_language", "language": "fr"|"en"}``
    The person switched the widget's language. No reply frame.
``{"type": "satisfaction", "answer": "yes"|"no", "comment": str|null}``
    The answer to "Did this help?" (``comment`` optional, up to 1000 characters). Taken
    once, only after the server asked; answered with ``satisfaction`` "answered", or an
    ``error`` "bad_request". Never goes to the assistant.

Server → client
---------------
``{"type": "welcome", "conversation_id": str, "resume_code": "ABCD-EFGH",
"language": "fr"|"en", "transcript": [{"author", "text", "buttons", "ts"}]}``
    Reply to every ``hello``. ``author`` is "person", "assistant", "agent" or "system";
    ``buttons`` is ``[{"title", "payload"}]`` (maybe empty); ``ts`` is ISO 8601 UTC.
    Store ``conversation_id`` (it is the key to the conversation) and show
    ``resume_code`` to the person.
``{"type": "typing", "on": bool}``
    ``on: true`` when a message goes to the assistant; ``on: false`` is the last frame of
    that turn, after the replies and any error.
``{"type": "message", "author": "assistant"|"agent"|"system", "text": str,
"buttons": [{"title", "payload"}], "ts": str, "language"?: "fr"|"en"}``
    One reply. ``text`` may contain Markdown links ``[label](https://...)`` and bare URLs.
    ``language`` (the assistant's replies to a message, when it could tell): the language
    the assistant detected in the person's message; the widget's own texts follow it until
    the person picks a language with the switch.
    "system" is a notice from the hub, e.g. "your message was kept for support" while a
    handoff waits for an agent (``bot.handoff.waiting``).
``{"type": "support", "state": "open"|"closed", "agent_online": bool, "message": str}``
    Support (people) has the conversation ("open": after the assistant hands it over, and
    after ``welcome`` while a handoff is open) or gave it back ("closed"). ``message`` is
    ready to show in the person's language (may be empty). While open, messages go to
    agents: they get no "assistant" reply (while nobody is online, a "system" one), and
    ``message`` frames with author "agent" may arrive at any time.
``{"type": "satisfaction", "state": "asked", "language": "fr"|"en", "question": str,
"options": [{"answer": "yes"|"no", "title": str}]}``
    "Did this help?", when a flow ended solved (after that turn's replies) or an agent
    resolved the handoff (at any time); again after ``welcome`` until answered. At most
    once per conversation. ``{"type": "satisfaction", "state": "answered", "answer":
    "yes"|"no", "message": str}`` thanks the person (``message`` ready to show).
``{"type": "error", "code": str, "message": str}``
    ``message`` is ready to show, in the person's language. Codes: "too_long",
    "rate_limited", "bad_request", "assistant_unavailable" (the message was saved;
    the text gives the support address), "resume_not_found" (after the ``welcome`` of
    the new conversation). The connection stays open after every error.

Limits: text up to ``Settings.max_message_chars`` (2000) characters; no NUL or other
control characters, lone surrogates or bidirectional overrides; at most
``Settings.rate_limit_messages`` frames per ``rate_limit_window_seconds`` (20 per 10 s),
beyond which frames are dropped and one "rate_limited" error is sent. Binary frames and
invalid JSON get "bad_request". Frames over 1 MiB close the connection (code 1009).
The upgrade is refused (403) when the browser's ``Origin`` is not in
``Settings.allowed_origins``, and (429) beyond ``Settings.max_chats_per_client`` chats
open at once from one client address (:mod:`bot.client_address`). A ``hello`` that would
open a new conversation beyond ``Settings.max_new_conversations_per_client`` per
``new_conversations_window_seconds`` from one address gets a "rate_limited" error instead
of a ``welcome`` (the connection stays open). On shutdown the server closes with 1001 (going away).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from bot.appkeys import (
    LIMITS,
    LIVE,
    OPEN_CHATS,
    RELAY,
    RESUME_ATTEMPTS,
    SATISFACTION,
    SETTINGS,
    SHUTTING_DOWN,
    STORE,
    WEBSOCKETS,
)
from bot.chat.errors import error_frame
from bot.chat.session import LANGUAGES, ChatSession, Problem, SayRequest
from bot.client_address import client_address
from bot.db.conversations import transcript_line
from bot.db.resume_codes import display_code

__all__ = ["MAX_FRAME_BYTES", "chat_websocket", "origin_allowed"]

log = logging.getLogger(__name__)

# Big enough that 10,000 emoji written as JSON \u escapes still arrive and get a polite
# "too_long"; bigger frames are not a person typing.
MAX_FRAME_BYTES = 1024 * 1024


def origin_allowed(request: web.Request) -> bool:
    """Browsers always send Origin on a WebSocket upgrade; it must be a listed one.

    A request without Origin does not come from a web page (so cannot be a cross-site
    hijack) and is let through, as python-engineio does.
    """
    origin = request.headers.get("Origin")
    return origin is None or origin.rstrip("/") in request.app[SETTINGS].allowed_origins


class _Connection:
    """One WebSocket and its chat session."""

    def __init__(self, ws: web.WebSocketResponse, app: web.Application, client_key: str) -> None:
        self.ws = ws
        # Agents' replies and hand-overs reach this socket through the session.
        self.session = ChatSession(
            app[SETTINGS],
            app[STORE],
            app[RELAY],
            app[RESUME_ATTEMPTS],
            app[LIVE],
            self.send,
            app[SATISFACTION],
            limits=app[LIMITS],
            client_key=client_key,
            channel="widget",
        )

    async def send(self, frame: dict[str, Any]) -> None:
        if not self.ws.closed:
            await self.ws.send_json(frame)

    async def send_problem(self, problem: Problem) -> None:
        language = self.session.person_language
        await self.send(error_frame(problem.code, language, self.session.settings, problem.reason))

    async def on_text(self, data: str) -> None:
        try:
            frame = json.loads(data)
        except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested deep on purpose
            await self.send_problem(Problem("bad_request"))
            return
        kind = frame.get("type") if isinstance(frame, dict) else None
        if kind == "hello":
            await self.on_hello(frame)
        elif kind == "message":
            await self.on_message(frame)
        elif kind == "satisfaction":
            answered = await self.session.answer_satisfaction(frame)
            if isinstance(answered, Problem):
                await self.send_problem(answered)
            else:
                await self.send(answered)
        elif kind == "set_language":
            problem = await self.session.change_language(frame.get("language"))
            if problem is not None:
                await self.send_problem(problem)
        else:
            await self.send_problem(Problem("bad_request"))

    async def on_hello(self, frame: dict[str, Any]) -> None:
        problems = await self.session.open(
            conversation_id=frame.get("conversation_id"),
            resume_code=frame.get("resume_code"),
            language=frame.get("language"),
            user_agent=frame.get("user_agent"),
        )
        conversation = self.session.conversation
        if conversation is None:  # too many new conversations from this address
            for problem in problems:
                await self.send_problem(problem)
            return
        transcript = await self.session.transcript()
        await self.send(
            {
                "type": "welcome",
                "conversation_id": conversation.id,
                "resume_code": display_code(conversation.resume_code),
                "language": self.session.language,
                "transcript": [transcript_line(message) for message in transcript],
            }
        )
        notice = await self.session.support_notice()
        if notice is not None:
            await self.send(notice)
        question = await self.session.satisfaction_notice()
        if question is not None:
            await self.send(question)
        for problem in problems:
            await self.send_problem(problem)

    async def on_message(self, frame: dict[str, Any]) -> None:
        request = await self.session.prepare(frame.get("text"), frame.get("payload"))
        if isinstance(request, Problem):
            await self.send_problem(request)
            return
        await self.say(request)

    async def say(self, request: SayRequest) -> None:
        await self.send({"type": "typing", "on": True})
        try:
            said = await self.session.run(request)
            # The assistant's replies say which language it detected: the widget's own
            # texts follow it unless the person picked a language.
            detected = {"language": said.language} if said.language in LANGUAGES else {}
            for reply in said.replies:
                line = transcript_line(reply)
                await self.send(
                    {"type": "message", **line, **(detected if line["author"] == "assistant" else {})}
                )
            if said.problem is not None:
                await self.send_problem(said.problem)
            if said.satisfaction is not None:
                await self.send(said.satisfaction)
        finally:
            # Always last: "typing off" tells the client the turn is over.
            await self.send({"type": "typing", "on": False})


async def chat_websocket(request: web.Request) -> web.StreamResponse:
    """GET /ws: the widget's chat connection (protocol in this module's docstring)."""
    if not origin_allowed(request):
        log.info("websocket refused for origin %r", request.headers.get("Origin"))
        raise web.HTTPForbidden(text="origin not allowed")
    app = request.app
    client = client_address(request)
    open_sockets = app[OPEN_CHATS]
    if open_sockets[client] >= app[SETTINGS].max_chats_per_client:
        # One address holding hundreds of chats open would starve everyone else.
        raise web.HTTPTooManyRequests(text="too many open chats from this address")
    ws = web.WebSocketResponse(max_msg_size=MAX_FRAME_BYTES, heartbeat=30.0)
    await ws.prepare(request)
    connection = _Connection(ws, app, client)
    session = connection.session
    open_sockets[client] += 1
    app[WEBSOCKETS].add(ws)
    try:
        async for message in ws:
            if not session.allow_frame():
                if session.should_report_flood():
                    await connection.send_problem(Problem("rate_limited"))
                continue
            if message.type == WSMsgType.ERROR:
                log.info("websocket error: %r", ws.exception())
                break
            try:
                if message.type == WSMsgType.TEXT:
                    await connection.on_text(message.data)
                else:
                    await connection.send_problem(Problem("bad_request"))
            except (ConnectionResetError, asyncio.CancelledError):
                raise
            except Exception:
                # A bug or a database outage must not drop the person's connection.
                log.exception("chat frame failed")
                await connection.send_problem(Problem("assistant_unavailable", "internal"))
    finally:
        session.close()
        app[WEBSOCKETS].discard(ws)
        open_sockets[client] -= 1
        if open_sockets[client] <= 0:
            del open_sockets[client]
        if app[SHUTTING_DOWN].is_set():
            # Close here: once this handler returns, aiohttp closes with 1000 (normal),
            # before close_websockets' own close() gets its turn.
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
    return ws


async def close_websockets(app: web.Application) -> None:
    """on_shutdown: tell every open chat the server is going away (1001), so widgets
    reconnect to the next hub rather than report an error."""
    app[SHUTTING_DOWN].set()
    open_sockets = app[WEBSOCKETS]
    for ws in list(open_sockets):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
