"""The internal API the action server calls: ``/internal/accounts/...``.

==========================  =======================================  =========================
route name                  request (JSON)                           answers
==========================  =======================================  =========================
internal_password_reset     POST /internal/accounts/password-reset   202, 401, 404, 422, 429,
                            ``{"user_code", "email", "language",     503
                            "conversation_id"}``
internal_user_code_reminder POST /internal/accounts/user-code-       202, 401, 404, 422, 429,
                            reminder ``{"email", "language",     503
                            "conversation_id"}``
==========================  =======================================  =========================

``Authorization: Bearer <GEM_INTERNAL_TOKEN>`` is required (401 otherwise, and always when
the hub has no token). 202 ``{"status": "accepted"}`` whether or not an account matches;
429 ``{"error": "rate_limited", "retry_after": n}`` with ``Retry-After: n``; 422 for a
malformed field; 404 ``{"error": "unknown_conversation"}`` when the hub has no such
conversation (as for handoffs: a caller cannot spend mail on invented conversations);
503 when the gateway or the database is down. Every error is JSON, never
an HTML 500. An optional ``Idempotency-Key`` header makes a retried call a no-op.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.accounts.identifiers import is_valid_email, is_valid_user_code
from bot.accounts.requests import Outcome
from bot.appkeys import ACCOUNT_REQUESTS, SATISFACTION, SETTINGS, STORE

__all__ = ["internal_json_errors", "password_reset", "user_code_reminder"]

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.Response]]


@web.middleware
async def internal_json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Under ``/internal/``, aiohttp's own errors (404, 405, 413...) are JSON too, and an
    unexpected exception is a JSON 503: programs call these routes, not people."""
    if not request.path.startswith("/internal/"):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return _error(exc.status, exc.reason.lower().replace(" ", "_"), exc.reason, dict(exc.headers))
    except Exception:
        log.exception("internal API %s failed", request.path)
        return _error(503, "unavailable", "the service is unavailable")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    headers = {k: v for k, v in (headers or {}).items() if k.lower() != "content-type"}
    return web.json_response({"error": code, "message": message}, status=status, headers=headers)


def _authorized(request: web.Request) -> bool:
    expected = request.app[SETTINGS].internal_token
    scheme, _, provided = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(provided.strip().encode("utf-8"), expected.encode("utf-8"))


def _internal(handler: Callable[[web.Request, dict[str, str]], Awaitable[Outcome]]) -> Handler:
    """Authentication, JSON parsing and the error contract, shared by both routes."""

    async def wrapped(request: web.Request) -> web.Response:
        if not _authorized(request):
            return _error(401, "unauthorized", "missing or wrong internal token")
        try:
            body: Any = await request.json()
        except ValueError:
            return _error(400, "bad_request", "the body must be a JSON object")
        if not isinstance(body, dict):
            return _error(400, "bad_request", "the body must be a JSON object")
        fields = {key: value.strip() for key, value in body.items() if isinstance(value, str)}
        try:
            outcome = await handler(request, fields)
        except _Invalid as invalid:
            return _error(422, "invalid_field", f"missing or malformed field: {invalid.field}")
        except _UnknownConversation:
            return _error(404, "unknown_conversation", "no such conversation")
        except Exception:  # the contract: JSON, never a 500 page
            log.exception("internal API %s failed", request.path)
            return _error(503, "unavailable", "the account service is unavailable")
        if outcome.status == "accepted":
            return web.json_response({"status": "accepted"}, status=202)
        if outcome.status == "rate_limited":
            retry = str(outcome.retry_after_seconds or 60)
            return web.json_response(
                {"error": "rate_limited", "retry_after": int(retry)},
                status=429,
                headers={"Retry-After": retry},
            )
        return _error(503, "unavailable", "the account service is unavailable")

    return wrapped


class _Invalid(Exception):
    def __init__(self, field: str) -> None:
        self.field = field


class _UnknownConversation(Exception):
    pass


def _language(request: web.Request, fields: dict[str, str]) -> str:
    language = fields.get("language", "")
    return language if language in ("fr", "en") else request.app[SETTINGS].default_language


async def _conversation(request: web.Request, fields: dict[str, str]) -> tuple[str, str]:
    """The rate-limit origin of a request: a conversation this hub really has."""
    conversation_id = fields.get("conversation_id", "")
    if not conversation_id or len(conversation_id) > 128:
        raise _Invalid("conversation_id")
    if await request.app[STORE].get(conversation_id) is None:
        raise _UnknownConversation
    return ("conversation", conversation_id)


def _email(fields: dict[str, str]) -> str:
    email = fields.get("email", "")
    if not is_valid_email(email):
        raise _Invalid("email")
    return email


@_internal
async def password_reset(request: web.Request, fields: dict[str, str]) -> Outcome:
    """POST /internal/accounts/password-reset."""
    user_code = fields.get("user_code", "")
    if not is_valid_user_code(user_code):
        raise _Invalid("user_code")
    email = _email(fields)  # checked before the conversation, as the contract lists them
    origin = await _conversation(request, fields)
    outcome = await request.app[ACCOUNT_REQUESTS].password_reset(
        user_code,
        email,
        _language(request, fields),
        origin=origin,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    await _flow_completed(request, origin, outcome, "forgot_password", _language(request, fields))
    return outcome


@_internal
async def user_code_reminder(request: web.Request, fields: dict[str, str]) -> Outcome:
    """POST /internal/accounts/user-code-reminder."""
    email = _email(fields)
    origin = await _conversation(request, fields)
    outcome = await request.app[ACCOUNT_REQUESTS].user_code_reminder(
        email,
        _language(request, fields),
        origin=origin,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    await _flow_completed(request, origin, outcome, "forgot_user_code", _language(request, fields))
    return outcome


async def _flow_completed(
    request: web.Request, origin: tuple[str, str], outcome: Outcome, topic: str, language: str
) -> None:
    """The mail went out: the chat asks "Did this help?" at the end of this turn."""
    if outcome.status == "accepted":
        await request.app[SATISFACTION].flow_completed(origin[1], topic, language)
