"""Typed keys for what the hub keeps on its ``web.Application``.

Set once by ``bot.app.init_app`` (or its cleanup contexts); read by handlers as
``request.app[STORE]``.
"""

from __future__ import annotations

import asyncio
import weakref

import aiohttp
import socketio
from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import ConversationStore
from bot.rasa_client import RasaClient
from bot.rate_limit import KeyedSlidingWindow
from bot.relay import ChatRelay
from bot.settings import Settings

__all__ = [
    "ENGINE",
    "HTTP",
    "RASA",
    "RELAY",
    "RESUME_ATTEMPTS",
    "SETTINGS",
    "SHUTTING_DOWN",
    "SOCKETIO",
    "STORE",
    "WEBSOCKETS",
]

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
STORE = web.AppKey("store", ConversationStore)
HTTP = web.AppKey("http", aiohttp.ClientSession)
RASA = web.AppKey("rasa", RasaClient)
RELAY = web.AppKey("relay", ChatRelay)
# Failed resume-code attempts per client address, shared by every channel.
RESUME_ATTEMPTS = web.AppKey("resume_attempts", KeyedSlidingWindow)
# Set when the hub starts shutting down; open chats then close with "going away".
SHUTTING_DOWN = web.AppKey("shutting_down", asyncio.Event)
WEBSOCKETS = web.AppKey("websockets", weakref.WeakSet[web.WebSocketResponse])
SOCKETIO = web.AppKey("socketio", socketio.AsyncServer)
