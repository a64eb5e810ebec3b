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
import datetime as dt
import logging
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web

from bot import health, pages, ws_chat
from bot.access_log import install_access_log_redaction
from bot.accounts import pages as account_pages
from bot.accounts.demo import ensure_demo_accounts
from bot.accounts.directory import AccountDirectory
from bot.accounts.emails import AccountEmails
from bot.accounts.gateway import AccountGateway, BuiltinAccountGateway
from bot.accounts.limits import SharedRateLimits
from bot.accounts.platform import PlatformAccountGateway
from bot.accounts.requests import AccountRequests
from bot.accounts.reset_tokens import ResetTokens
from bot.appkeys import (
    ACCOUNT_REQUESTS,
    ACCOUNTS,
    CLOCK,
    ENGINE,
    FEEDBACK,
    HANDOFFS,
    HTTP,
    LIMITS,
    MAIL_SINK,
    OPEN_CHATS,
    OUTBOX,
    RASA,
    RELAY,
    RESET_TOKENS,
    RESUME_ATTEMPTS,
    SATISFACTION,
    SETTINGS,
    SHUTTING_DOWN,
    SOCKETIO,
    STORE,
    TRIAGE,
    TRIAGE_LISTENER,
    WEBSOCKETS,
)
from bot.clock import Clock, system_clock
from bot.console.routes import console_ctx, setup_console_routes
from bot.conversations import ConversationStore
from bot.db.engine import create_engine, session_factory, upgrade_to_head
from bot.handoff.mail import HandoffMail
from bot.internal_listener import internal_api_ctx
from bot.mail import sink_pages
from bot.mail.outbox import Outbox
from bot.mail.sink import MailSink
from bot.mail.worker import OutboxWorker, SmtpSender
from bot.rasa_client import RasaClient
from bot.relay import ChatRelay
from bot.resume_codes import ResumeAttempts
from bot.satisfaction import pages as feedback_pages
from bot.satisfaction.links import FeedbackLinks
from bot.satisfaction.mail import MailFeedback
from bot.settings import Settings
from bot.socketio_channel import attach_socketio
from bot.triage.imap import ImapPoller
from bot.triage.service import Triage
from bot.triage.smtp import TriageListener
from bot.triage.store import TriageStore

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "init_app"]

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).absolute().parent
STATIC_DIR = PACKAGE_DIR / "static"
TEMPLATES_DIR = PACKAGE_DIR / "templates"


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/", pages.index, name="index")
    app.router.add_get("/demo", pages.demo, name="demo")
    app.router.add_get("/ws", ws_chat.chat_websocket, name="ws")
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


async def accounts_ctx(app: web.Application) -> AsyncIterator[None]:
    """The account service: directory, tokens, shared limits, the gateway, demo accounts."""
    settings, clock = app[SETTINGS], app[CLOCK]
    sessions = session_factory(app[ENGINE])
    app[OUTBOX] = Outbox(sessions, clock)
    app[ACCOUNTS] = AccountDirectory(sessions, clock)
    app[RESET_TOKENS] = ResetTokens(sessions, dt.timedelta(minutes=settings.reset_token_minutes), clock)
    app[LIMITS] = SharedRateLimits(sessions, clock)
    app[RESUME_ATTEMPTS] = ResumeAttempts(
        app[LIMITS], settings.resume_attempts_per_window, settings.resume_attempts_window_seconds
    )
    gateway: AccountGateway
    if settings.account_gateway == "http":
        gateway = PlatformAccountGateway(app[HTTP], settings)
    else:
        gateway = BuiltinAccountGateway(app[OUTBOX])
    app[ACCOUNT_REQUESTS] = AccountRequests(app[LIMITS], gateway, settings, clock)
    if not settings.internal_token:
        log.warning("GEM_INTERNAL_TOKEN is not set: the assistant cannot send account emails")
    if settings.is_development:
        created = await ensure_demo_accounts(app[ACCOUNTS])
        if created:
            log.info("created %d demo accounts", len(created))
    yield


async def mail_ctx(app: web.Application) -> AsyncIterator[None]:
    """The outbox worker, and in development the mail sink it sends to."""
    settings, clock = app[SETTINGS], app[CLOCK]
    if settings.is_development:
        sink = MailSink(session_factory(app[ENGINE]), settings.mail_sink_port, clock)
        await sink.start()
        app[MAIL_SINK] = sink
    emails = AccountEmails(app[ACCOUNTS], app[RESET_TOKENS], settings, clock)
    handoff_mail = HandoffMail(app[HANDOFFS].store, app[STORE], settings, clock)
    composers = {**emails.composers(), **handoff_mail.composers(), **app[TRIAGE].composers()}
    worker = OutboxWorker(app[OUTBOX], composers, SmtpSender(settings), settings, clock)
    worker.start()
    try:
        yield
    finally:
        await worker.stop()
        if MAIL_SINK in app:
            await app[MAIL_SINK].stop()


async def feedback_ctx(app: web.Application) -> AsyncIterator[None]:
    """The signed links of automatic mail answers, and what their answers do."""
    settings, clock = app[SETTINGS], app[CLOCK]
    # A configured secret, else the one the hub keeps in its database: links in mail must
    # outlive restarts and work on every hub.
    secret = settings.link_secret or await app[SATISFACTION].store.hub_secret("feedback_links")
    links = FeedbackLinks(secret, settings, clock)
    app[FEEDBACK] = MailFeedback(session_factory(app[ENGINE]), links, app[HANDOFFS], settings, clock)
    yield


async def triage_ctx(app: web.Application) -> AsyncIterator[None]:
    """Email triage: the service, its worker, SMTP listener and IMAP poller (GEM_TRIAGE_MODE=off: none)."""
    settings, clock = app[SETTINGS], app[CLOCK]
    sessions = session_factory(app[ENGINE])
    triage = Triage(
        TriageStore(sessions, clock),
        app[RASA],
        settings,
        handoffs=app[HANDOFFS],
        outbox=app[OUTBOX],
        limits=app[LIMITS],
        clock=clock,
        feedback=app[FEEDBACK].footer,
    )
    app[TRIAGE] = triage
    # An agent's answer to a ticket from the mailbox goes back by mail.
    app[HANDOFFS].mail_replies = triage.agent_replied
    listener = poller = None
    if settings.triage_mode != "off":
        triage.start()
        if settings.triage_smtp_port:
            listener = TriageListener(triage, settings)
            await listener.start()
            app[TRIAGE_LISTENER] = listener
        if settings.imap_host:
            poller = ImapPoller(settings, triage.intake_from_imap)
            poller.start()
    try:
        yield
    finally:
        if poller is not None:
            await poller.stop()
        if listener is not None:
            await listener.stop()
        await triage.stop()


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
    app.cleanup_ctx.append(database_ctx)
    app.cleanup_ctx.append(rasa_ctx)
    app.cleanup_ctx.append(accounts_ctx)
    app.cleanup_ctx.append(console_ctx)
    app.cleanup_ctx.append(feedback_ctx)
    app.cleanup_ctx.append(triage_ctx)
    app.cleanup_ctx.append(mail_ctx)
    # Last in, first out: the internal API stops taking calls before the services stop.
    app.cleanup_ctx.append(internal_api_ctx)
    # The ignores: aiohttp 3.9's Signal annotations disagree with aiosignal >= 1.4.
    app.on_response_prepare.append(pages.security_headers)  # type: ignore[arg-type]
    app.on_shutdown.append(ws_chat.close_websockets)  # type: ignore[arg-type]
    app.on_shutdown.append(shutdown_socketio)  # type: ignore[arg-type]
    return app
