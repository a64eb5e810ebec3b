"""The internal API's contract (``/internal/...``): one token check, one error shape.

=============================  ======================================  ==========================
name                           path                                    handler
=============================  ======================================  ==========================
internal_password_reset        POST /internal/accounts/password-reset  bot.accounts.internal_api
internal_user_code_reminder    POST /internal/accounts/user-code-reminder
internal_handoffs              POST /internal/handoffs                 bot.handoff.internal_api
=============================  ======================================  ==========================

Only the action server calls it (``actions/hub_client.py``). The application lives on
its own loopback listener (:mod:`bot.internal_listener`), with :func:`internal_errors` as
its middleware. Every route:

- needs ``Authorization: Bearer <GEM_INTERNAL_TOKEN>``; otherwise, and always when the hub
  has no token: 401 ``{"error": "unauthorized", "message": ...}``;
- answers every error as JSON ``{"error": <code>, "message": <text>, ...}`` (a few add a
  field: ``"field"`` for 422, ``"retry_after"`` for 429), never an HTML page: 400
  ``bad_request`` for a body that is not a JSON object, 404/405 for routing, 503
  ``unavailable`` for anything unexpected (the database is down...).

Handlers read their body with :func:`json_object` and raise :class:`InternalError` for
an answer other than success.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.appkeys import SETTINGS

__all__ = ["InternalError", "error_response", "internal_errors", "json_object"]

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class InternalError(Exception):
    """An error answer of the internal API: ``status``, a code, a message and extra fields."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.extra = extra


def error_response(error: InternalError) -> web.Response:
    headers = {k: v for k, v in error.headers.items() if k.lower() != "content-type"}
    body = {"error": error.code, "message": error.message, **error.extra}
    return web.json_response(body, status=error.status, headers=headers)


def _authorized(request: web.Request) -> bool:
    expected = request.app[SETTINGS].internal_token
    scheme, _, provided = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(provided.strip().encode("utf-8"), expected.encode("utf-8"))


async def json_object(request: web.Request) -> dict[str, Any]:
    """The request's body, a JSON object; :class:`InternalError` 400 otherwise."""
    try:
        body: Any = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise InternalError(400, "bad_request", "the body must be a JSON object")
    return body


@web.middleware
async def internal_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The token check, then the handler; every error as JSON (programs call these routes, not people)."""
    try:
        if request.match_info.http_exception is None and not _authorized(request):
            raise InternalError(401, "unauthorized", "missing or wrong internal token")
        return await handler(request)
    except InternalError as error:
        return error_response(error)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = exc.reason.lower().replace(" ", "_")
        return error_response(InternalError(exc.status, code, exc.reason, headers=dict(exc.headers)))
    except Exception:
        log.exception("internal API %s failed", request.path)
        return error_response(InternalError(503, "unavailable", "the service is unavailable"))
