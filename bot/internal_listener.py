"""The internal API on its own listener: loopback (or a private network), never the public port.

=============================  ======================================  ======================
name                           path                                    module
=============================  ======================================  ======================
internal_password_reset        POST /internal/accounts/password-reset  bot.accounts.internal_api
internal_user_code_reminder    POST /internal/accounts/user-code-reminder
internal_handoffs              POST /internal/handoffs                 bot.handoff.internal_api
=============================  ======================================  ======================

Only the action server calls these (``GEM_HUB_URL`` on its side points here), with
``GEM_INTERNAL_TOKEN``. They live on ``Settings.internal_host:internal_port``
(``GEM_INTERNAL_HOST`` / ``GEM_INTERNAL_PORT``, default 127.0.0.1:8001) so that a proxy
mistake or a leaked token cannot reach them from the internet: the public port has no
``/internal/`` routes at all. The listener is a small application of its own that shares
the hub's services; it starts after them and stops before them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.accounts import internal_api as account_api
from bot.appkeys import ACCOUNT_REQUESTS, HANDOFFS, SATISFACTION, SETTINGS, STORE
from bot.handoff import internal_api as handoff_api
from bot.internal_api import internal_errors

__all__ = ["INTERNAL_APP", "internal_api_ctx", "internal_app"]

log = logging.getLogger(__name__)

# On the public application: the internal one, once it runs (tests find its routes there).
INTERNAL_APP = web.AppKey("internal_app", web.Application)


def internal_app(hub: web.Application) -> web.Application:
    """The internal API's application, sharing the hub's settings and services."""
    # One token check and one JSON error shape for every route (bot.internal_api).
    app = web.Application(middlewares=[internal_errors])
    app[SETTINGS] = hub[SETTINGS]
    app[STORE] = hub[STORE]
    app[ACCOUNT_REQUESTS] = hub[ACCOUNT_REQUESTS]
    app[HANDOFFS] = hub[HANDOFFS]
    app[SATISFACTION] = hub[SATISFACTION]
    router = app.router
    router.add_post(
        "/internal/accounts/password-reset", account_api.password_reset, name="internal_password_reset"
    )
    router.add_post(
        "/internal/accounts/user-code-reminder",
        account_api.user_code_reminder,
        name="internal_user_code_reminder",
    )
    router.add_post("/internal/handoffs", handoff_api.open_handoff, name="internal_handoffs")
    return app


async def internal_api_ctx(hub: web.Application) -> AsyncIterator[None]:
    """Serve the internal API on its own listener for the hub's lifetime."""
    settings = hub[SETTINGS]
    app = internal_app(hub)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.internal_host, settings.internal_port)
        await site.start()
        hub[INTERNAL_APP] = app
        log.info("internal API on http://%s:%d/internal/", settings.internal_host, settings.internal_port)
        yield
    finally:
        await runner.cleanup()
