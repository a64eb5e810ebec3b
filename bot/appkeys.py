"""Typed keys for what the hub keeps on its ``web.Application``.

Set once by ``bot.app.init_app`` (the services by ``bot.app.publish``, from what
``bot.services.build_services`` built); read by handlers as ``request.app[STORE]``.
"""

from __future__ import annotations

import asyncio
import collections
import weakref

import aiohttp
import socketio
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.accounts.directory import AccountDirectory
from bot.accounts.requests import AccountRequests
from bot.accounts.reset_tokens import ResetTokens
from bot.chat.relay import ChatRelay
from bot.chat.resume_attempts import ResumeAttempts
from bot.clock import Clock
from bot.console.agents import AgentDirectory
from bot.console.review_store import ReviewStore
from bot.console.sockets import ConsoleSockets
from bot.db.conversations import ConversationStore
from bot.handoff.live import LiveChannels
from bot.handoff.service import Handoffs
from bot.limits.database import SharedRateLimits
from bot.mail.outbox import Outbox
from bot.mail.sink import MailSink
from bot.rasa_client import RasaClient
from bot.satisfaction.chat import ChatSatisfaction
from bot.satisfaction.mail import MailFeedback
from bot.services import Services
from bot.settings import Settings
from bot.triage.service import Triage
from bot.triage.smtp import TriageListener

__all__ = [
    "ACCOUNTS",
    "ACCOUNT_REQUESTS",
    "AGENTS",
    "CLOCK",
    "CONSOLES",
    "ENGINE",
    "HANDOFFS",
    "HTTP",
    "LIVE",
    "LIMITS",
    "MAIL_SINK",
    "OPEN_CHATS",
    "OUTBOX",
    "RASA",
    "RELAY",
    "RESET_TOKENS",
    "RESUME_ATTEMPTS",
    "SERVICES",
    "REVIEWS",
    "SATISFACTION",
    "FEEDBACK",
    "SETTINGS",
    "SHUTTING_DOWN",
    "SOCKETIO",
    "STORE",
    "WEBSOCKETS",
]

SETTINGS = web.AppKey("settings", Settings)
# Every service, as bot.services.build_services wired them; the keys below name the ones
# handlers use.
SERVICES = web.AppKey("services", Services)
ENGINE = web.AppKey("engine", AsyncEngine)
STORE = web.AppKey("store", ConversationStore)
HTTP = web.AppKey("http", aiohttp.ClientSession)
RASA = web.AppKey("rasa", RasaClient)
RELAY = web.AppKey("relay", ChatRelay)
# Failed resume-code attempts per client address, shared by every channel and process.
RESUME_ATTEMPTS = web.AppKey("resume_attempts", ResumeAttempts)
# Set when the hub starts shutting down; open chats then close with "going away".
SHUTTING_DOWN = web.AppKey("shutting_down", asyncio.Event)
WEBSOCKETS = web.AppKey("websockets", weakref.WeakSet[web.WebSocketResponse])
# Open widget chats per client address (bot.client_address), in this process.
OPEN_CHATS = web.AppKey("open_chats", collections.Counter[str])
SOCKETIO = web.AppKey("socketio", socketio.AsyncServer)

# "Now" for tokens, limits and the outbox; tests pass their own to init_app.
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
ACCOUNTS = web.AppKey("accounts", AccountDirectory)
RESET_TOKENS = web.AppKey("reset_tokens", ResetTokens)
LIMITS = web.AppKey("limits", SharedRateLimits)
ACCOUNT_REQUESTS = web.AppKey("account_requests", AccountRequests)
OUTBOX = web.AppKey("outbox", Outbox)
# Only in development: the SMTP server that catches outbound mail.
MAIL_SINK = web.AppKey("mail_sink", MailSink)

# Human handoff: who is connected now, the handoff service, the console's agents.
LIVE = web.AppKey("live", LiveChannels)
HANDOFFS = web.AppKey("handoffs", Handoffs)
AGENTS = web.AppKey("agents", AgentDirectory)
# Open console sockets by sign-in session: logout closes them.
CONSOLES = web.AppKey("consoles", ConsoleSockets)
# Email triage (bot.triage): the service and its SMTP listener (absent when the port is 0).
TRIAGE = web.AppKey("triage", Triage)
TRIAGE_LISTENER = web.AppKey("triage_listener", TriageListener)
# Satisfaction: "Did this help?" in chats, and the signed links in automatic mail answers.
SATISFACTION = web.AppKey("satisfaction", ChatSatisfaction)
FEEDBACK = web.AppKey("feedback", MailFeedback)
# The console's "what to teach next" page (bot.console.review).
REVIEWS = web.AppKey("reviews", ReviewStore)
