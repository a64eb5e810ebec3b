"""A stand-in for the Rasa server and the action server, for tests of the hub's own logic.

It answers the few HTTP calls the hub makes (the hub channel's turn, root, status, action
server health) with canned replies, and records what it was sent: ``requests`` has every
call, in order. The turn speaks ``rasa_addons.hub_channel``'s contract (token required, replies
and NLU result in one answer); the real channel and assistant are tested in
test_with_rasa.py and test_hub_channel.py.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

TOKEN = "test-token"

BUTTONS = [
    {"title": "Chrome", "payload": '/inform{"browser": "chrome"}'},
    {"title": "Firefox", "payload": '/inform{"browser": "firefox"}'},
]


@dataclasses.dataclass
class FakeRasa:
    """What the fake answers and what it was asked."""

    # Bodies of the authorised turns ({"sender", "message", "metadata"}).
    webhook_calls: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    # Every request, as "METHOD /path".
    requests: list[str] = dataclasses.field(default_factory=list)
    turn_authorizations: list[str | None] = dataclasses.field(default_factory=list)
    reply_with_nothing: bool = False
    actions_up: bool = True
    # The tracker's steps_tried slot, as the troubleshooting action leaves it.
    steps_tried: list[str] = dataclasses.field(default_factory=list)
    # More slots for the tracker to report ("steps_tried", "troubleshooting_step", ...).
    slots: dict[str, Any] = dataclasses.field(default_factory=dict)
    # How long a turn takes, and the most turns it was ever processing at once (one
    # conversation's turns must never overlap, whichever hub sent them).
    turn_seconds: float = 0.0
    # Run while a turn is in progress, before its ``turn_seconds`` (as the action server
    # calls the hub's internal API in the middle of a turn); given the turn's body.
    during_turn: Callable[[dict[str, Any]], Awaitable[None]] | None = None
    # The handoff the assistant opened during the turn, as the channel reports it.
    handoff_reason: str | None = None
    turns_running: int = 0
    most_turns_at_once: int = 0
    # The client ports the turns came from: one per connection the hub opened.
    turn_connections: set[int] = dataclasses.field(default_factory=set)

    def replies(self, message: str, language: str) -> list[dict[str, Any]]:
        if self.reply_with_nothing:
            return []
        if language == "en":
            return [{"text": "Which browser do you use?", "buttons": BUTTONS}]
        return [
            {"text": f"Vous avez écrit : {message}"},
            {"text": "Quel navigateur utilisez-vous ?", "buttons": BUTTONS},
        ]

    def app(self) -> web.Application:
        app = web.Application()

        async def turn(request: web.Request) -> web.Response:
            self.turn_authorizations.append(request.headers.get("Authorization"))
            if request.headers.get("Authorization") != f"Bearer {TOKEN}":
                return web.json_response({"error": "unauthorized"}, status=401)
            body = await request.json()
            self.webhook_calls.append(body)
            peer = request.transport.get_extra_info("peername") if request.transport else None
            if peer:
                self.turn_connections.add(peer[1])
            self.turns_running += 1
            self.most_turns_at_once = max(self.most_turns_at_once, self.turns_running)
            try:
                if self.during_turn is not None:
                    await self.during_turn(body)
                await asyncio.sleep(self.turn_seconds)
            finally:
                self.turns_running -= 1
            message = body["message"]
            language = "en" if message.lower().startswith(("i ", "hello", "my ")) else "fr"
            return web.json_response(
                {
                    "replies": [
                        {"recipient_id": body["sender"], **r} for r in self.replies(message, language)
                    ],
                    "intent": "login_problem",
                    "confidence": 0.93,
                    "language": language,
                    "steps_tried": self.slots.get("steps_tried", list(self.steps_tried)),
                    "troubleshooting_step": self.slots.get("troubleshooting_step"),
                    "handoff_reason": self.handoff_reason,
                }
            )

        async def root(request: web.Request) -> web.Response:
            return web.Response(text="Hello from Rasa: 3.6.21")

        async def status(request: web.Request) -> web.Response:
            if request.query.get("token") != TOKEN:
                return web.json_response({"message": "unauthorized"}, status=401)
            return web.json_response({"model_file": "models/fake.tar.gz", "model_id": "x"})

        async def health(request: web.Request) -> web.Response:
            if not self.actions_up:
                return web.json_response({"status": "down"}, status=503)
            return web.json_response({"status": "ok"})

        @web.middleware
        async def record(request: web.Request, handler: Any) -> web.StreamResponse:
            self.requests.append(f"{request.method} {request.path}")
            return await handler(request)

        app.middlewares.append(record)
        app.router.add_post("/webhooks/hub/turn", turn)
        app.router.add_get("/", root)
        app.router.add_get("/status", status)
        app.router.add_get("/health", health)
        return app
