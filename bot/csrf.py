"""CSRF protection for the hub's HTML forms: a double-submit cookie plus an Origin check.

Usage::

    token = csrf_token(request)                   # GET: put it in a hidden field "csrf"
    response = render(...); remember_csrf(request, response, token)
    if not csrf_ok(request, form): ...            # POST: 403 before changing anything

The cookie is ``SameSite=Strict`` and ``HttpOnly``: another site can neither send it with
a forged form nor read it to copy into one. When the browser sends ``Origin``, it must be
one of ours as well.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping

from aiohttp import web

from bot.appkeys import SETTINGS

__all__ = ["CSRF_COOKIE", "CSRF_FIELD", "csrf_ok", "csrf_token", "remember_csrf"]

CSRF_COOKIE = "gem_csrf"
CSRF_FIELD = "csrf"


def csrf_token(request: web.Request) -> str:
    """The browser's current token, or a new one (set it with :func:`remember_csrf`)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    return current if 20 <= len(current) <= 64 else secrets.token_urlsafe(24)


def remember_csrf(request: web.Request, response: web.StreamResponse, token: str) -> None:
    if request.cookies.get(CSRF_COOKIE) != token:
        settings = request.app[SETTINGS]
        response.set_cookie(
            CSRF_COOKIE,
            token,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=settings.public_base_url.startswith("https://"),
        )


def csrf_ok(request: web.Request, form: Mapping[str, object]) -> bool:
    """Whether a POST comes from one of our own forms."""
    origin = request.headers.get("Origin")
    settings = request.app[SETTINGS]
    if origin is not None and origin.rstrip("/") not in (*settings.allowed_origins, settings.public_base_url):
        return False
    cookie = request.cookies.get(CSRF_COOKIE, "")
    submitted = form.get(CSRF_FIELD)
    if not cookie or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(cookie.encode("utf-8"), submitted.encode("utf-8"))
