"""``POST /internal/handoffs``: the action server opens a handoff.

Request (JSON, ``Authorization: Bearer <GEM_INTERNAL_TOKEN>``)::

    {"conversation_id": str, "reason": "requested_by_person"|..., "language": "fr"|"en",
     "browser": str, "steps_tried": ["main_site:failed", ...], "reset_email_sent": bool,
     "user_code": str, "email": str}

Answers 200 ``{"handoff_id": int, "created": bool, "agent_online": bool,
"contact_known": bool, "priority": "high"|"normal"}``; 401 wrong or missing token; 400 a
body that is not a JSON object; 404 unknown conversation; 422 ``{"error": "invalid_field",
"message": ..., "field": ...}``; 503 on a storage failure (bot.internal_api: one shape). A retried call for a conversation whose handoff is still open returns that
handoff with ``created: false`` and opens nothing, mails nothing.
"""

from __future__ import annotations

from aiohttp import web

from bot.appkeys import HANDOFFS, SETTINGS
from bot.handoff.packet import InvalidPacket, parse_packet
from bot.handoff.service import UnknownConversation
from bot.internal_api import InternalError, json_object

__all__ = ["open_handoff"]


async def open_handoff(request: web.Request) -> web.Response:
    """POST /internal/handoffs (the token and the error shape: bot.internal_api)."""
    body = await json_object(request)
    try:
        packet = parse_packet(body, request.app[SETTINGS].default_language)
    except InvalidPacket as invalid:
        raise InternalError(
            422, "invalid_field", f"missing or malformed field: {invalid.field}", field=invalid.field
        ) from None
    try:
        opened = await request.app[HANDOFFS].open(packet)
    except UnknownConversation:
        raise InternalError(404, "unknown_conversation", "no such conversation") from None
    handoff = opened.handoff
    return web.json_response(
        {
            "handoff_id": handoff.id,
            "created": opened.created,
            "agent_online": opened.agent_online,
            "contact_known": handoff.contact_email is not None,
            "priority": handoff.priority,
        }
    )
