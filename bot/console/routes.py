"""The console's routes and its start-up: the handoff service, the agents, the demo agent.

=======================  =====================================  ===========================
name                     path                                   what
=======================  =====================================  ===========================
console_login            GET/POST /console/login                sign in (new session id)
console_logout           POST /console/logout                   sign out
console_queue            GET /console                           open handoffs
console_conversation     GET /console/c/{id}                    one handoff (id: its number)
console_claim, _reply,   POST /console/c/{id}/claim|reply|      assign to me, answer the
_note, _resolve,         note|resolve|hand-back                 person, note, close, give
_hand_back                                                      back to the assistant
console_correct          POST /console/c/{id}/messages/{m}/     the right intent of a
                         intent                                 person's message
console_dashboard        GET /console/dashboard                 figures and charts for a range
console_export_          GET /console/export/conversations.csv  the range's conversations,
conversations, _handoffs and /console/export/handoffs.csv       handoffs (masked CSV)
console_mail             GET /console/mail                      mail received, what triage did
console_ws               GET /console/ws                        live updates
=======================  =====================================  ===========================
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.appkeys import AGENTS, CLOCK, CONSOLES, ENGINE, HANDOFFS, LIVE, OUTBOX, RELAY, SETTINGS, STORE
from bot.console import export, live, pages
from bot.console.agents import AgentDirectory
from bot.console.demo import ensure_demo_agent
from bot.console.sockets import ConsoleSockets
from bot.db.engine import session_factory
from bot.handoff.live import LiveChannels
from bot.handoff.service import Handoffs
from bot.handoff.store import HandoffStore

__all__ = ["console_ctx", "setup_console_routes"]

log = logging.getLogger(__name__)


def setup_console_routes(app: web.Application) -> None:
    router = app.router
    login = router.add_resource("/console/login", name="console_login")
    login.add_route("GET", pages.login)
    login.add_route("POST", pages.login)
    router.add_post("/console/logout", pages.logout, name="console_logout")
    router.add_get("/console", pages.queue, name="console_queue")
    router.add_get("/console/dashboard", pages.dashboard, name="console_dashboard")
    router.add_get(
        "/console/export/conversations.csv", export.export_conversations, name="console_export_conversations"
    )
    router.add_get("/console/export/handoffs.csv", export.export_handoffs, name="console_export_handoffs")
    router.add_get("/console/mail", pages.mail_log, name="console_mail")
    router.add_get("/console/ws", live.console_websocket, name="console_ws")
    router.add_get(r"/console/c/{id:\d+}", pages.conversation, name="console_conversation")
    for action, handler in (
        ("claim", pages.claim),
        ("reply", pages.reply),
        ("note", pages.note),
        ("resolve", pages.resolve),
        ("hand-back", pages.hand_back),
    ):
        router.add_post(
            rf"/console/c/{{id:\d+}}/{action}", handler, name=f"console_{action.replace('-', '_')}"
        )
    router.add_post(
        r"/console/c/{id:\d+}/messages/{message:\d+}/intent", pages.correct, name="console_correct"
    )


async def console_ctx(app: web.Application) -> AsyncIterator[None]:
    """Handoff service and agent directory; needs the database, the relay and the outbox."""
    settings, clock = app[SETTINGS], app[CLOCK]
    sessions = session_factory(app[ENGINE])
    app[AGENTS] = AgentDirectory(sessions, clock, idle=dt.timedelta(minutes=settings.agent_idle_minutes))
    app[CONSOLES] = ConsoleSockets()
    # "An agent is online" counts only consoles whose sign-in session is alive.
    app[LIVE] = LiveChannels(live_sessions=app[AGENTS].live_sessions)
    app[HANDOFFS] = Handoffs(HandoffStore(sessions, clock), app[STORE], app[LIVE], app[OUTBOX], settings)
    # While a handoff is open the relay gives the person's messages to people, not Rasa.
    app[RELAY].to_agents = app[HANDOFFS].person_wrote
    if settings.is_development and await ensure_demo_agent(app[AGENTS]):
        log.info("created the demo agent")
    yield
