"""Rasa's socket.io channel protocol, so existing widgets (``rasa-webchat``) connect as is.

Served at the default path ``/socket.io/``. Events, as in ``rasa.core.channels.socketio``
with ``session_persistence: true``:

- client ``session_request`` ``{"session_id": str|null}`` → server ``session_confirm``
  with the session id (a plain string, as Rasa sends it). The id is the hub's
  conversation id: a client-supplied id is kept only if this server issued it;
  otherwise a new conversation is opened.
- client ``user_uttered`` ``{"message": str, "session_id": str, "customData"|"metadata":
  {"language": "fr"|"en", ...}}`` → server ``bot_uttered`` ``{"text": str,
  "quick_replies": [{"content_type": "text", "title": str, "payload": str}]}`` for each
  reply, to every socket in the conversation. A message equal to the payload of a button
  the assistant offered counts as that button's click (rasa-webchat sends payloads as
  messages). Errors come back as a ``bot_uttered`` whose text explains, in the person's
  language, like any other bot message.
- A message that is exactly ``/intent`` with ``intent`` in
  ``Settings.socketio_payload_intents`` (default ``greet`` and ``get_started``, which
  means greet) reaches Rasa as that intent: rasa-webchat's ``initPayload``. Any other
  ``/...`` text is treated as typed text (its slashes dropped), so nobody sets intents or
  entities by typing them (docs/SECURITY.md).
- ``customData.language`` of the first message applies to the conversation as it does
  with ``session_request`` (rasa-webchat sends it only with ``user_uttered``); later it
  is a language switch, like the widget's ``set_language``.
- Support's messages (an agent's reply, the hand-back, the closing text) arrive as
  ``bot_uttered`` at any time, as they do on the WebSocket channel.
- "Did this help?" arrives as a ``bot_uttered`` with two quick replies whose payloads,
  ``/satisfaction_yes`` and ``/satisfaction_no`` (:data:`bot.satisfaction.chat.PAYLOADS`),
  are answered by the hub (a thanks as ``bot_uttered``), never sent to Rasa.
- A frame that cannot be decoded (broken JSON, JSON nested past Python's recursion limit,
  garbage) gets a ``bot_uttered`` saying the message could not be read, and the
  connection stays open (``bot.chat.socketio_packets``).

Same rules as the WebSocket channel (``bot.chat.session``): server-issued ids, size,
character and flood limits, transcript stored, Rasa down → message kept and the person is
told to write to the support address.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from aiohttp import web

from bot.appkeys import LIMITS, LIVE, RELAY, RESUME_ATTEMPTS, SATISFACTION, SETTINGS, SOCKETIO, STORE
from bot.chat.errors import error_text
from bot.chat.session import ChatSession, Problem, SayRequest
from bot.chat.socketio_packets import UNREADABLE, GuardedPacket, guarded_json
from bot.client_address import client_address
from bot.db.models import Message
from bot.satisfaction.chat import PAYLOADS, socketio_question
from bot.settings import Settings

__all__ = ["attach_socketio"]

log = logging.getLogger(__name__)


def _bot_uttered(text: str, buttons: list[dict[str, str]] | None) -> dict[str, Any]:
    event: dict[str, Any] = {"text": text}
    if buttons:
        event["quick_replies"] = [
            {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons
        ]
    return event


def _uttered(message: Message) -> dict[str, Any]:
    return _bot_uttered(message.text, message.buttons)


def _from_support(frame: dict[str, Any]) -> dict[str, Any] | None:
    """A live frame of the WebSocket protocol (an agent's reply, a hand-over) as ``bot_uttered``."""
    if frame.get("type") == "message":
        return _bot_uttered(str(frame.get("text", "")), frame.get("buttons"))
    if frame.get("type") == "support" and frame.get("message"):
        return {"text": str(frame["message"])}
    if frame.get("type") == "satisfaction":
        if frame.get("state") == "asked":
            return socketio_question(frame)
        return {"text": str(frame.get("message", ""))}
    return None


def payload_intent(text: str, settings: Settings) -> str | None:
    """The allowed intent ``text`` names ("/get_started" -> "greet"), else None."""
    # Exactly "/name": "/greet{...}" (entities) or "/greet@0.9" never match a listed name.
    name = text.strip()
    if not name.startswith("/"):
        return None
    return settings.socketio_intent_payloads.get(name[1:])


def _client_language(data: dict[str, Any]) -> str | None:
    for key in ("customData", "metadata"):
        extra = data.get(key)
        if isinstance(extra, dict) and extra.get("language") in ("fr", "en"):
            return str(extra["language"])
    return None


def attach_socketio(app: web.Application) -> socketio.AsyncServer:
    """Create the socket.io server, register its events and attach it to ``app``."""
    settings = app[SETTINGS]
    # python-engineio checks Origin against this list (no "*", never None = same host).
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins=list(settings.allowed_origins),
        max_http_buffer_size=1024 * 1024,
        # A frame that cannot be decoded (JSON nested past the recursion limit, broken
        # JSON, no packet type) is the UNREADABLE event below, not a traceback.
        serializer=GuardedPacket,
        json=guarded_json,
        logger=False,
        engineio_logger=False,
    )
    sessions: dict[str, ChatSession] = {}

    def deliver_to(sid: str) -> Any:
        async def deliver(frame: dict[str, Any]) -> None:
            event = _from_support(frame)
            if event is not None:
                await sio.emit("bot_uttered", event, to=sid)

        return deliver

    async def emit_problem(sid: str, session: ChatSession, problem: Problem) -> None:
        text = error_text(problem.code, session.person_language, settings, problem.reason)
        await sio.emit("bot_uttered", {"text": text}, to=sid)

    async def ensure_open(sid: str, session: ChatSession, requested_id: object) -> str | None:
        """The conversation's id, opened if needed; None (the person told) when refused."""
        if session.conversation is None or (
            isinstance(requested_id, str) and requested_id != session.conversation.id
        ):
            problems = await session.open(
                conversation_id=requested_id,
                resume_code=None,
                language=session.language,
                user_agent=session.user_agent,
            )
            if session.conversation is None:  # too many new conversations from this address
                for problem in problems:
                    await emit_problem(sid, session, problem)
                return None
        await sio.enter_room(sid, session.conversation.id)
        return session.conversation.id

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        request = environ.get("aiohttp.request")
        session = ChatSession(
            settings,
            app[STORE],
            app[RELAY],
            app[RESUME_ATTEMPTS],
            app[LIVE],
            deliver_to(sid),
            app[SATISFACTION],
            limits=app[LIMITS],
            client_key=client_address(request) if request is not None else "unknown",
            channel="socketio",
        )
        session.user_agent = str(environ.get("HTTP_USER_AGENT", ""))[:512]
        sessions[sid] = session
        return True

    @sio.event
    async def disconnect(sid: str, *args: Any) -> None:
        session = sessions.pop(sid, None)
        if session is not None:
            session.close()

    @sio.event
    async def session_request(sid: str, data: Any = None) -> None:
        session = sessions.get(sid)
        if session is None or not session.allow_frame():
            return
        data = data if isinstance(data, dict) else {}
        language = _client_language(data)
        if language:
            session.set_language(language)
        conversation_id = await ensure_open(sid, session, data.get("session_id"))
        if conversation_id is not None:
            await sio.emit("session_confirm", conversation_id, to=sid)

    async def flooded(sid: str, session: ChatSession) -> bool:
        """True when this frame is one too many (the flood is reported once per burst)."""
        if session.allow_frame():
            return False
        if session.should_report_flood():
            await emit_problem(sid, session, Problem("rate_limited"))
        return True

    @sio.on(UNREADABLE)
    async def unreadable(sid: str, *args: Any) -> None:
        session = sessions.get(sid)
        if session is None:
            return
        if await flooded(sid, session):
            return
        await emit_problem(sid, session, Problem("bad_request"))

    @sio.event
    async def user_uttered(sid: str, data: Any = None) -> None:
        session = sessions.get(sid)
        if session is None:
            return
        if await flooded(sid, session):
            return
        if not isinstance(data, dict):
            await emit_problem(sid, session, Problem("bad_request"))
            return
        try:
            language = _client_language(data)
            if language and session.conversation is None:
                # The first message's language is the new conversation's (and that of a refusal).
                session.set_language(language)
            conversation_id = await ensure_open(sid, session, data.get("session_id"))
            if conversation_id is None:
                return
            if language and language != session.language:
                if await session.has_person_messages():
                    await session.change_language(language)
                else:
                    # The first message: as with session_request, the language goes to
                    # Rasa with the message, where the session starts with it.
                    await session.set_opening_language(language)
            message = data.get("message")
            if isinstance(message, str) and message.strip() in PAYLOADS:
                # "Did this help?" answered by a quick reply: the hub's, not Rasa's.
                answered = await session.answer_satisfaction({"answer": PAYLOADS[message.strip()]})
                if isinstance(answered, Problem):
                    await emit_problem(sid, session, answered)
                else:
                    await sio.emit("bot_uttered", _from_support(answered), to=sid)
                return
            request = await prepare(session, message)
            if isinstance(request, Problem):
                await emit_problem(sid, session, request)
                return
            said = await session.run(request)
            for reply in said.replies:
                await sio.emit("bot_uttered", _uttered(reply), room=conversation_id)
            if said.problem is not None:
                await emit_problem(sid, session, said.problem)
            if said.satisfaction is not None:
                await sio.emit("bot_uttered", socketio_question(said.satisfaction), room=conversation_id)
        except Exception:
            log.exception("socket.io message failed")
            await emit_problem(sid, session, Problem("assistant_unavailable", "internal"))

    async def prepare(session: ChatSession, text: object) -> SayRequest | Problem:
        if isinstance(text, str) and text.startswith("/"):
            # rasa-webchat sends a clicked quick reply as its payload ...
            request = await session.prepare(None, payload=text)
            if not isinstance(request, Problem):
                return request
            # ... and its initPayload ("/get_started") as a message of its own.
            intent = payload_intent(text, settings)
            if intent is not None:
                return session.prepare_intent(text.strip(), f"/{intent}")
        return await session.prepare(text)

    sio.attach(app, socketio_path="socket.io")
    app[SOCKETIO] = sio
    return sio
