"""``POST /internal/handoffs``: the action server opens a handoff.

Request (JSON, ``Authorization: Bearer <GEM_INTERNAL_TOKEN>``)::

    {"conversation_id": str, "reason": "requested_by_person"|..., "language": "fr"|"en",
     "browser": str, "steps_tried": ["main_site:failed", ...], "reset_email_sent": bool,
     "user_code": str, "email": str}

Answers 200 ``{"handoff_id": int, "created": bool, "agent_online": bool,
"contact_known": bool, "priority": "high"|"normal"}``; 401 wrong or missing token; 404
unknown conversation; 422 ``{"error": "invalid_field", "field": ...}``; 503 on a storage
failure. A retried call for a conversation whose handoff is still open returns that
handoff with ``created: false`` and opens nothing, mails nothing.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiohttp import web

from bot.appkeys import HANDOFFS, SETTINGS
from bot.handoff.packet import InvalidPacket, parse_packet
from bot.handoff.service import UnknownConversation

__all__ = ["open_handoff"]

log = logging.getLogger(__name__)


def _authorized(request: web.Request) -> bool:
    expected = request.app[SETTINGS].internal_token
    scheme, _, provided = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(provided.strip().encode("utf-8"), expected.encode("utf-8"))


async def open_handoff(request: web.Request) -> web.Response:
    """POST /internal/handoffs."""
    if not _authorized(request):
        return web.json_response({"error": "unauthorized"}, status=401)
    try:
        body: Any = await request.json()
        packet = parse_packet(body, request.app[SETTINGS].default_language)
    except ValueError:
        return web.json_response({"error": "bad_request"}, status=400)
    except InvalidPacket as invalid:
        return web.json_response({"error": "invalid_field", "field": invalid.field}, status=422)
    try:
        opened = await request.app[HANDOFFS].open(packet)
    except UnknownConversation:
        return web.json_response({"error": "unknown_conversation"}, status=404)
    except Exception:  # the contract: JSON, never an HTML 500
        log.exception("opening a handoff failed")
        return web.json_response({"error": "unavailable"}, status=503)
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
