"""``/healthz``: is the hub able to do its job right now?

Reports each dependency separately, 200 when all are fine and 503 otherwise::

    {"status": "ok", "checks": {"database": {"ok": true},
                                "rasa": {"ok": true, "version": "...", "model": "..."},
                                "action_server": {"ok": true}}}

The checks (versions, model name, error names) are for operators: only a request from
this machine through no proxy, or one with ``Authorization: Bearer <GEM_HEALTH_TOKEN>``,
gets them. Anyone else (a load balancer, the public) gets ``{"status": ...}`` and the
same status code.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.appkeys import ENGINE, RASA, SETTINGS
from bot.client_address import is_loopback_request

__all__ = ["healthz"]

log = logging.getLogger(__name__)


async def _database(request: web.Request) -> dict[str, Any]:
    try:
        async with request.app[ENGINE].connect() as connection:
            await asyncio.wait_for(
                connection.execute(text("SELECT 1")),
                request.app[SETTINGS].health_timeout_seconds,
            )
    except (SQLAlchemyError, OSError, asyncio.TimeoutError) as exc:
        log.warning("health: database: %r", exc)
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def _may_see_details(request: web.Request) -> bool:
    if is_loopback_request(request):
        return True
    expected = request.app[SETTINGS].health_token
    scheme, _, provided = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(provided.strip().encode("utf-8"), expected.encode("utf-8"))


async def healthz(request: web.Request) -> web.Response:
    """GET /healthz."""
    rasa = request.app[RASA]
    database, rasa_status, actions = await asyncio.gather(
        _database(request), rasa.rasa_health(), rasa.action_server_health()
    )
    checks = {"database": database, "rasa": rasa_status, "action_server": actions}
    ok = all(check["ok"] for check in checks.values())
    body: dict[str, Any] = {"status": "ok" if ok else "unavailable"}
    if _may_see_details(request):
        body["checks"] = checks
    return web.json_response(
        body,
        status=200 if ok else 503,
        headers={"Cache-Control": "no-store"},
    )
