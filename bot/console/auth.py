"""Console sign-in state: the session cookie, the CSRF check, and the guards on handlers.

Usage::

    @agent_page                      # GET: no session -> redirect to the login page
    async def queue(request, signed_in): ...

    @agent_action                    # POST: no session -> 401, bad CSRF token -> 403
    async def claim(request, signed_in, form): ...

The cookie is ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when the hub is public over
https, and scoped to ``/console``. Every state-changing request is a POST carrying the
session's own CSRF token (a synchronizer token); GET handlers never write anything but
the session's last-seen time.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Mapping
from functools import wraps
from typing import Any

from aiohttp import web

from bot.appkeys import AGENTS, SETTINGS
from bot.console.agents import SignedIn
from bot.console.language import failure
from bot.request_input import read_form

__all__ = ["SESSION_COOKIE", "agent_action", "agent_page", "csrf_matches", "set_session_cookie", "signed_in"]

SESSION_COOKIE = "gem_agent"
COOKIE_PATH = "/console"


def set_session_cookie(request: web.Request, response: web.StreamResponse, session_id: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Lax",
        secure=request.app[SETTINGS].public_base_url.startswith("https://"),
    )


async def signed_in(request: web.Request) -> SignedIn | None:
    return await request.app[AGENTS].session(request.cookies.get(SESSION_COOKIE, ""))


def csrf_matches(request: web.Request, expected: str, form: Mapping[str, Any]) -> bool:
    origin = request.headers.get("Origin")
    settings = request.app[SETTINGS]
    if origin is not None and origin.rstrip("/") not in (*settings.allowed_origins, settings.public_base_url):
        return False
    submitted = form.get("csrf")
    if not isinstance(submitted, str) or not submitted or not expected:
        return False
    return hmac.compare_digest(submitted.encode("utf-8"), expected.encode("utf-8"))


PageHandler = Callable[[web.Request, SignedIn], Awaitable[web.StreamResponse]]
ActionHandler = Callable[[web.Request, SignedIn, Mapping[str, Any]], Awaitable[web.StreamResponse]]


def agent_page(handler: PageHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        who = await signed_in(request)
        if who is None:
            raise web.HTTPFound(request.app.router["console_login"].url_for())
        response = await handler(request, who)
        response.headers["Cache-Control"] = "no-store"
        return response

    return wrapped


def agent_action(handler: ActionHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        who = await signed_in(request)
        if who is None:
            raise failure(request, web.HTTPUnauthorized, "sign_in_first")
        form = await read_form(request)
        if form is None:
            raise failure(request, web.HTTPBadRequest, "bad_form")
        if not csrf_matches(request, who.csrf_token, form):
            raise failure(request, web.HTTPForbidden, "csrf_invalid")
        return await handler(request, who, form)

    return wrapped
