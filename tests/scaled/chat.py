"""A person on the widget's WebSocket (bot/PROTOCOL.md), one turn per connection, so that
each turn can go to another hub.

Usage::

    async with aiohttp.ClientSession() as http:
        person = Person(http, origin, language="fr")
        turn = await person.turn(hub_url, "bonjour")     # a new connection to that hub
        turn.welcome["transcript"], turn.replies, turn.errors
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.bot.conftest import hello, say

__all__ = ["Person", "Turn", "transcript_of"]

# A turn on a busy two-core machine with two Rasa servers loaded.
TURN_TIMEOUT_SECONDS = 60.0


@dataclass
class Turn:
    """What one turn showed: the welcome of its connection, then the turn's frames."""

    hub: str
    text: str
    welcome: dict[str, Any]
    frames: list[dict[str, Any]]

    @property
    def replies(self) -> list[str]:
        return [f["text"] for f in self.frames if f["type"] == "message" and f["author"] == "assistant"]

    @property
    def errors(self) -> list[str]:
        return [f["code"] for f in self.frames if f["type"] == "error"]


@dataclass
class Person:
    """One conversation; its id is the one the first welcome gave."""

    http: aiohttp.ClientSession
    origin: str
    language: str = "fr"
    conversation_id: str | None = None
    turns: list[Turn] = field(default_factory=list)

    async def connect(self, hub_url: str) -> tuple[aiohttp.ClientWebSocketResponse, dict[str, Any]]:
        ws = await self.http.ws_connect(f"{hub_url}/ws", origin=self.origin)
        welcome = await hello(ws, conversation_id=self.conversation_id, language=self.language)
        if self.conversation_id is None:
            self.conversation_id = welcome["conversation_id"]
        return ws, welcome

    async def turn(self, hub_url: str, text: str) -> Turn:
        ws, welcome = await self.connect(hub_url)
        try:
            frames = await asyncio.wait_for(say(ws, text), TURN_TIMEOUT_SECONDS)
        finally:
            await ws.close()
        turn = Turn(hub_url, text, welcome, frames)
        self.turns.append(turn)
        return turn

    async def transcript(self, hub_url: str) -> list[dict[str, Any]]:
        """The conversation as a hub has it (the welcome of a new connection)."""
        ws, welcome = await self.connect(hub_url)
        await ws.close()
        return list(welcome["transcript"])


def transcript_of(entries: list[dict[str, Any]], author: str) -> list[str]:
    return [entry["text"] for entry in entries if entry["author"] == author]
