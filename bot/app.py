"""The hub's aiohttp application, built by :func:`init_app` from one :class:`Settings`.

Usage::

    app = init_app(Settings.from_env())
    web.run_app(app, host=..., port=...)

Routes (all named; use ``app.router[name].url_for()``):

===========================  ===================================  ====================================
name                         path                                 what
===========================  ===================================  ====================================
index                        GET /                                redirect to the demo page
demo                         GET /demo                            mock GEM-BOOKS page with the widget
ws                           GET /ws                              the widget's chat WebSocket
healthz                      GET /healthz                         database, Rasa and action server
login, reset,                /login, /reset, /forgot-password,    account pages (bot.accounts.pages)
forgot_password,             /forgot-user-code
forgot_user_code
dev_mail, dev_mail_message,  GET /dev/mail...                     caught mail, development only
dev_mail_html                                                     (bot.mail.sink_pages)
feedback                     GET/POST /feedback?token=...         a mail answer's "solved" / "still
                                                                  need help" link (bot.satisfaction.pages)
static                       /static/                             widget, demo and page assets
console_*                    /console...                          agent console (bot.console.routes)
(socket.io)                  /socket.io/                          Rasa's socket.io protocol
===========================  ===================================  ====================================

The internal API (``/internal/...``, for the action server) is not on this application:
it has a loopback listener of its own (:mod:`bot.internal_listener`).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot import health, pages
from bot.access_log import install_access_log_redaction
from bot.accounts import pages as account_pages
from bot.accounts.demo import ensure_demo_accounts
from bot.appkeys import (
    ACCOUNT_REQUESTS,
    ACCOUNTS,
    AGENTS,
    CLOCK,
    CONSOLES,
    ENGINE,
    FEEDBACK,
    HANDOFFS,
    HTTP,
    LIMITS,
    LIVE,
    MAIL_SINK,
    OPEN_CHATS,
    OUTBOX,
    RASA,
    RELAY,
    RESET_TOKENS,
    RESUME_ATTEMPTS,
    REVIEWS,
    SATISFACTION,
    SERVICES,
    SETTINGS,
    SHUTTING_DOWN,
    SOCKETIO,
    STORE,
    TRIAGE,
    TRIAGE_LISTENER,
    WEBSOCKETS,
)
from bot.chat import ws as chat_ws
from bot.chat.socketio_channel import attach_socketio
from bot.clock import Clock, system_clock
from bot.console.demo import ensure_demo_agent
from bot.console.routes import setup_console_routes
from bot.db.engine import create_engine, upgrade_to_head
from bot.internal_listener import internal_api_ctx
from bot.mail import sink_pages
from bot.satisfaction import pages as feedback_pages
from bot.services import Services, build_services, feedback_link_secret
from bot.settings import Settings

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "init_app"]

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).absolute().parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"
# How long an idle connection to Rasa (or another service) stays open for the next call:
# under Rasa's own 120 s, so that it is always the hub that closes one, never Rasa while
# the hub is sending on it (aiohttp's default is 15 s: a quiet quarter of a minute, and the
# next burst of messages opened new connections again).
UPSTREAM_KEEPALIVE_SECONDS = 60.0


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", pages.index, name="index")
    app.router.add_get("/demo", pages.demo, name="demo")
    app.router.add_get("/ws", chat_ws.chat_websocket, name="ws")
    app.router.add_get("/healthz", health.healthz, name="healthz")
    for path, handler, name in (
        ("/login", account_pages.login, "login"),
        ("/reset", account_pages.reset, "reset"),
        ("/forgot-password", account_pages.forgot_password, "forgot_password"),
        ("/forgot-user-code", account_pages.forgot_user_code, "forgot_user_code"),
    ):
        resource = app.router.add_resource(path, name=name)
        resource.add_route("GET", handler)
        resource.add_route("POST", handler)
    # The signed links at the end of automatic mail answers (bot.satisfaction.pages).
    feedback = app.router.add_resource("/feedback", name="feedback")
    feedback.add_route("GET", feedback_pages.feedback)
    feedback.add_route("POST", feedback_pages.feedback)
    if app[SETTINGS].is_development:
        app.router.add_get("/dev/mail", sink_pages.dev_mail, name="dev_mail")
        app.router.add_get(r"/dev/mail/{id:\d+}", sink_pages.dev_mail_message, name="dev_mail_message")
        app.router.add_get(r"/dev/mail/{id:\d+}/html", sink_pages.dev_mail_html, name="dev_mail_html")
    setup_console_routes(app)
    app.router.add_static("/static/", STATIC_DIR, name="static")


async def services_ctx(app: web.Application) -> AsyncIterator[None]:
    """Open the database (schema brought up to date) and the HTTP client, build every
    service (:func:`bot.services.build_services`), create the demo data in development;
    close the client and the database on the way out."""
    settings, clock = app[SETTINGS], app[CLOCK]
    engine = create_engine(settings)
    try:
        await upgrade_to_head(engine)
        # One HTTP client session for every call to Rasa, the action server and the platform:
        # at most `upstream_connections` at once to each, kept open between calls.
        connector = aiohttp.TCPConnector(
            limit_per_host=settings.upstream_connections, keepalive_timeout=UPSTREAM_KEEPALIVE_SECONDS
        )
        async with aiohttp.ClientSession(connector=connector) as http:
            secret = await feedback_link_secret(settings, engine, clock)
            services = build_services(settings, engine, http, clock, link_secret=secret)
            try:
                publish(app, services)
                if settings.is_development:
                    created = await ensure_demo_accounts(services.accounts)
                    if created:
                        log.info("created %d demo accounts", len(created))
                    if await ensure_demo_agent(services.agents):
                        log.info("created the demo agent")
                yield
            finally:
                await services.transactions.close()
    finally:
        await engine.dispose()


def publish(app: web.Application, services: Services) -> None:
    """Put the services under the typed keys the handlers read (``request.app[STORE]``)."""
    app[SERVICES] = services
    app[ENGINE] = services.engine
    app[HTTP] = services.http
    app[STORE] = services.store
    app[RASA] = services.rasa
    app[RELAY] = services.relay
    app[LIMITS] = services.limits
    app[RESUME_ATTEMPTS] = services.resume_attempts
    app[OUTBOX] = services.outbox
    app[ACCOUNTS] = services.accounts
    app[RESET_TOKENS] = services.reset_tokens
    app[ACCOUNT_REQUESTS] = services.account_requests
    app[AGENTS] = services.agents
    app[CONSOLES] = services.consoles
    app[LIVE] = services.live
    app[SATISFACTION] = services.satisfaction
    app[HANDOFFS] = services.handoffs
    app[FEEDBACK] = services.feedback
    app[REVIEWS] = services.reviews
    app[TRIAGE] = services.triage
    if services.mail_sink is not None:
        app[MAIL_SINK] = services.mail_sink
    if services.triage_listener is not None:
        app[TRIAGE_LISTENER] = services.triage_listener


async def workers_ctx(app: web.Application) -> AsyncIterator[None]:
    """Start the background workers (outbox, triage, their SMTP servers, IMAP); stop them."""
    services = app[SERVICES]
    await services.start_workers()
    try:
        yield
    finally:
        await services.stop_workers()


async def shutdown_socketio(app: web.Application) -> None:
    await app[SOCKETIO].shutdown()


def init_app(settings: Settings, *, clock: Clock = system_clock) -> web.Application:
    """The hub, ready to run: routes, templates, database and Rasa client on start-up.

    ``clock`` is "now" for reset tokens, rate limits and the outbox (tests move it).
    """
    install_access_log_redaction()  # reset links carry their token in the URL
    app = web.Application()
    app[SETTINGS] = settings
    app[CLOCK] = clock
    app[WEBSOCKETS] = weakref.WeakSet()
    app[OPEN_CHATS] = collections.Counter()
    app[SHUTTING_DOWN] = asyncio.Event()
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES_DIR), autoescape=True)
    app[aiohttp_jinja2.static_root_key] = "/static"
    setup_routes(app)
    attach_socketio(app)
    app.cleanup_ctx.append(services_ctx)
    app.cleanup_ctx.append(workers_ctx)
    # Last in, first out: the internal API stops taking calls before the services stop.
    app.cleanup_ctx.append(internal_api_ctx)
    # The ignores: aiohttp 3.9's Signal annotations disagree with aiosignal >= 1.4.
    app.on_response_prepare.append(pages.security_headers)  # type: ignore[arg-type]
    app.on_shutdown.append(chat_ws.close_websockets)  # type: ignore[arg-type]
    app.on_shutdown.append(shutdown_socketio)  # type: ignore[arg-type]
    return app
