"""The hub's HTML pages and the security headers every response carries."""

from __future__ import annotations

import re

import aiohttp_jinja2
from aiohttp import web

__all__ = ["demo", "index", "security_headers"]

_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


async def index(request: web.Request) -> web.StreamResponse:
    """GET /: the demo page is the hub's front door for now."""
    raise web.HTTPFound(request.app.router["demo"].url_for())


async def demo(request: web.Request) -> web.StreamResponse:
    """GET /demo: a mock GEM-BOOKS page with the chat widget embedded."""
    return aiohttp_jinja2.render_template("demo.html", request, {})


def _content_security_policy(request: web.Request) -> str:
    # 'self' covers same-origin WebSockets in current browsers; the explicit ws(s) origin
    # covers older ones. The Host header is only echoed when it looks like a host.
    host = request.host if _HOST.match(request.host or "") else ""
    sockets = f" ws://{host} wss://{host}" if host else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self'{sockets}; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: headers that make the pages harder to abuse."""
    # No "Server: Python/3.10 aiohttp/3.9.5": no free list of versions to look up CVEs for.
    response.headers.popall("Server", None)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if response.content_type == "text/html":
        response.headers.setdefault("Content-Security-Policy", _content_security_policy(request))
        response.headers.setdefault("X-Frame-Options", "DENY")
