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
the hub has no token; the check and the error shape are :mod:`bot.internal_api`'s). 202 ``{"status": "accepted"}`` whether or not an account matches;
429 ``{"error": "rate_limited", "retry_after": n}`` with ``Retry-After: n``; 422 for a
malformed field; 404 ``{"error": "unknown_conversation"}`` when the hub has no such
conversation (as for handoffs: a caller cannot spend mail on invented conversations);
503 when the gateway or the database is down. Every error is JSON, never
an HTML 500. An optional ``Idempotency-Key`` header makes a retried call a no-op.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.accounts.identifiers import is_valid_user_code
from bot.accounts.requests import Outcome
from bot.appkeys import ACCOUNT_REQUESTS, SATISFACTION, SETTINGS, STORE
from bot.internal_api import InternalError, json_object
from bot.mail.addresses import is_valid_email

__all__ = ["password_reset", "user_code_reminder"]

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.Response]]


def _internal(handler: Callable[[web.Request, dict[str, str]], Awaitable[Outcome]]) -> Handler:
    """The body's fields in, the outcome's answer out, shared by both routes (the token and
    the error shape: bot.internal_api)."""

    async def wrapped(request: web.Request) -> web.Response:
        body = await json_object(request)
        fields = {key: value.strip() for key, value in body.items() if isinstance(value, str)}
        try:
            outcome = await handler(request, fields)
        except _Invalid as invalid:
            raise InternalError(
                422, "invalid_field", f"missing or malformed field: {invalid.field}", field=invalid.field
            ) from None
        except _UnknownConversation:
            raise InternalError(404, "unknown_conversation", "no such conversation") from None
        if outcome.status == "accepted":
            return web.json_response({"status": "accepted"}, status=202)
        if outcome.status == "rate_limited":
            retry = outcome.retry_after_seconds or 60
            raise InternalError(
                429,
                "rate_limited",
                "too many requests",
                headers={"Retry-After": str(retry)},
                retry_after=retry,
            )
        raise InternalError(503, "unavailable", "the account service is unavailable")

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
