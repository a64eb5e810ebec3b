"""A stand-in for the Rasa server and the action server, for tests of the hub's own logic.

It answers the few HTTP calls the hub makes (REST webhook, tracker, root, status, action
server health) with canned replies, and records what it was sent. The behaviour of the
real assistant is tested in test_with_rasa.py.
"""

from __future__ import annotations

import dataclasses
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

    webhook_calls: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    tracker_tokens: list[str | None] = dataclasses.field(default_factory=list)
    reply_with_nothing: bool = False
    actions_up: bool = True
    # The tracker's steps_tried slot, as the troubleshooting action leaves it.
    steps_tried: list[str] = dataclasses.field(default_factory=list)
    # More slots for the tracker to report ("steps_tried", "troubleshooting_step", ...).
    slots: dict[str, Any] = dataclasses.field(default_factory=dict)

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
        last: dict[str, dict[str, Any]] = {}

        async def webhook(request: web.Request) -> web.Response:
            body = await request.json()
            self.webhook_calls.append(body)
            message = body["message"]
            language = "en" if message.lower().startswith(("i ", "hello", "my ")) else "fr"
            last[body["sender"]] = {"text": message, "language": language}
            return web.json_response(
                [{"recipient_id": body["sender"], **r} for r in self.replies(message, language)]
            )

        async def tracker(request: web.Request) -> web.Response:
            self.tracker_tokens.append(request.query.get("token"))
            if request.query.get("token") != TOKEN:
                return web.json_response({"message": "unauthorized"}, status=401)
            seen = last.get(request.match_info["sender"], {})
            return web.json_response(
                {
                    "sender_id": request.match_info["sender"],
                    "slots": {"language": seen.get("language"), "steps_tried": list(self.steps_tried), **self.slots},
                    "latest_message": {
                        "text": seen.get("text"),
                        "intent": {"name": "login_problem", "confidence": 0.93},
                    },
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

        app.router.add_post("/webhooks/rest/webhook", webhook)
        app.router.add_get("/conversations/{sender}/tracker", tracker)
        app.router.add_get("/", root)
        app.router.add_get("/status", status)
        app.router.add_get("/health", health)
        return app
