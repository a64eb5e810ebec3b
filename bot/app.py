"""The hub's aiohttp application, built by :func:`init_app` from one :class:`Settings`.

Usage::

    app = init_app(Settings.from_env())
    web.run_app(app, host=..., port=...)

Routes (all named; use ``app.router[name].url_for()``):

==========  ==============  ================================================
name        path            what
==========  ==============  ================================================
index       GET /           redirect to the demo page
demo        GET /demo       mock GEM-BOOKS page with the widget
ws          GET /ws         the widget's chat WebSocket (bot.ws_chat)
healthz     GET /healthz    database, Rasa and action server status
static      /static/        widget.js, widget.css, demo assets
(socket.io) /socket.io/     Rasa's socket.io protocol (bot.socketio_channel)
==========  ==============  ================================================
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot import health, pages, ws_chat
from bot.appkeys import (
    ENGINE,
    HTTP,
    RASA,
    RELAY,
    RESUME_ATTEMPTS,
    SETTINGS,
    SHUTTING_DOWN,
    SOCKETIO,
    STORE,
    WEBSOCKETS,
)
from bot.conversations import ConversationStore
from bot.db.engine import create_engine, session_factory, upgrade_to_head
from bot.rasa_client import RasaClient
from bot.rate_limit import KeyedSlidingWindow
from bot.relay import ChatRelay
from bot.settings import Settings
from bot.socketio_channel import attach_socketio

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "init_app"]

PACKAGE_DIR = Path(__file__).absolute().parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", pages.index, name="index")
    app.router.add_get("/demo", pages.demo, name="demo")
    app.router.add_get("/ws", ws_chat.chat_websocket, name="ws")
    app.router.add_get("/healthz", health.healthz, name="healthz")
    app.router.add_static("/static/", STATIC_DIR, name="static")


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the database, bring its schema up to date, close it on the way out."""
    engine = create_engine(app[SETTINGS])
    try:
        await upgrade_to_head(engine)
        app[ENGINE] = engine
        app[STORE] = ConversationStore(session_factory(engine), app[SETTINGS])
        yield
    finally:
        await engine.dispose()


async def rasa_ctx(app: web.Application) -> AsyncIterator[None]:
    """One HTTP client session for every call to Rasa and the action server."""
    async with aiohttp.ClientSession() as http:
        app[HTTP] = http
        app[RASA] = RasaClient(http, app[SETTINGS])
        app[RELAY] = ChatRelay(app[STORE], app[RASA])
        yield


async def shutdown_socketio(app: web.Application) -> None:
    await app[SOCKETIO].shutdown()


def init_app(settings: Settings) -> web.Application:
    """The hub, ready to run: routes, templates, database and Rasa client on start-up."""
    app = web.Application()
    app[SETTINGS] = settings
    app[WEBSOCKETS] = weakref.WeakSet()
    app[SHUTTING_DOWN] = asyncio.Event()
    app[RESUME_ATTEMPTS] = KeyedSlidingWindow(
        settings.resume_attempts_per_window, settings.resume_attempts_window_seconds
    )
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True)
    app[aiohttp_jinja2.static_root_key] = "/static"
    setup_routes(app)
    attach_socketio(app)
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(rasa_ctx)
    # The ignores: aiohttp 3.9's Signal annotations disagree with aiosignal >= 1.4.
    app.on_response_prepare.append(pages.security_headers)  # type: ignore[arg-type]
    app.on_shutdown.append(ws_chat.close_websockets)  # type: ignore[arg-type]
    app.on_shutdown.append(shutdown_socketio)  # type: ignore[arg-type]
    return app
