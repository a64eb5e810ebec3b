"""A scripted stand-in for the hub, inside the browser's network layer.

Playwright serves the demo page and the widget's files from the repository, and answers
the widget's WebSocket itself, so a test can make "the hub" say exactly what it needs
(a link to ``javascript:``, an error, a dropped connection) without Rasa.

Usage::

    hub = ScriptedHub(page)                     # routes http://gem-books.test/
    page.goto(hub.demo_url)
    hub.push({"type": "message", "author": "assistant", "text": "...", "buttons": []})
    assert hub.received[-1] == {"type": "message", "text": "Non", "payload": "/deny"}

It speaks the protocol of ``bot/chat/ws.py``; only its behaviour is simplified.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, Route, WebSocketRoute

__all__ = ["ORIGIN", "RESUMABLE_CODE", "ScriptedHub"]

ORIGIN = "http://gem-books.test"
RESUMABLE_CODE = "K7P4-M2QX"
BOT_DIR = Path(__file__).resolve().parents[2] / "bot"


def _code_key(code: object) -> str:
    return "".join(c for c in str(code or "") if c.isalnum()).upper()


class ScriptedHub:
    def __init__(self, page: Page, *, html_lang: str = "fr") -> None:
        self.page = page
        self.html_lang = html_lang
        self.demo_url = f"{ORIGIN}/demo"
        self.received: list[dict[str, Any]] = []
        self.connections: list[WebSocketRoute] = []
        self.requests: list[str] = []
        # While False, hellos wait unanswered (a hub that is slow to come back).
        self.answering = True
        self._held: list[tuple[WebSocketRoute, dict[str, Any]]] = []
        # What the hub holds: the current conversation, and one reachable by code.
        self.conversation_id = "conv-new"
        self.resume_code = "AAAA-BBBB"
        self.transcript: list[dict[str, Any]] = []
        self.resumable_transcript: list[dict[str, Any]] = [
            {"author": "person", "text": "je n'arrive plus à me brancher", "buttons": [], "ts": "2026-01-05T14:03:00Z"},
            {"author": "assistant", "text": "Étape 1 — allez sur https://www.gem-books.com.", "buttons": [], "ts": "2026-01-05T14:03:02Z"},
        ]  # fmt: skip
        page.on("request", lambda request: self.requests.append(request.url))
        page.route(f"{ORIGIN}/**", self._serve_file)
        page.route_web_socket(f"ws://{ORIGIN.split('//')[1]}/ws", self._accept)

    # ---------------------------------------------------------------- files

    def _serve_file(self, route: Route) -> None:
        path = route.request.url[len(ORIGIN) :].split("?")[0]
        if path in ("/", "/demo"):
            html = (BOT_DIR / "templates" / "demo.html").read_text(encoding="utf-8")
            html = html.replace('<html lang="fr">', f'<html lang="{self.html_lang}">')
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
            return
        file = (BOT_DIR / path.lstrip("/")).resolve()
        if path.startswith("/static/") and file.is_file() and BOT_DIR in file.parents:
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            route.fulfill(status=200, content_type=kind, body=file.read_bytes())
        else:
            route.fulfill(status=404, body="not found")

    # ---------------------------------------------------------------- WebSocket

    @property
    def ws(self) -> WebSocketRoute:
        """The widget's latest connection."""
        return self.connections[-1]

    def push(self, frame: dict[str, Any]) -> None:
        """Send a frame to the widget on its latest connection."""
        self.ws.send(json.dumps(frame))

    def say(self, text: str, buttons: list[dict[str, str]] | None = None, author: str = "assistant") -> None:
        message = {
            "author": author,
            "text": text,
            "buttons": buttons or [],
            "ts": "2026-01-05T14:05:00Z",
        }
        self.transcript.append(message)
        self.push({"type": "message", **message})

    def frames(self, kind: str) -> list[dict[str, Any]]:
        return [frame for frame in self.received if frame.get("type") == kind]

    def wait_for_connections(self, count: int, timeout_ms: int = 15_000) -> None:
        """Wait until the widget has opened `count` connections in all."""
        waited = 0
        while len(self.connections) < count:
            assert waited < timeout_ms, f"{len(self.connections)} connections, expected {count}"
            self.page.wait_for_timeout(100)  # lets Playwright deliver events meanwhile
            waited += 100

    def answer_held_hellos(self) -> None:
        """Start answering again, beginning with the hellos that waited."""
        self.answering = True
        for ws, frame in self._held:
            self._welcome(ws, frame)
        self._held.clear()

    def _accept(self, ws: WebSocketRoute) -> None:
        self.connections.append(ws)
        ws.on_message(lambda message: self._on_frame(ws, message))

    def _on_frame(self, ws: WebSocketRoute, message: str | bytes) -> None:
        frame = json.loads(message)
        self.received.append(frame)
        if frame.get("type") == "hello":
            if self.answering:
                self._welcome(ws, frame)
            else:
                self._held.append((ws, frame))
        elif frame.get("type") == "message":
            self.transcript.append({"author": "person", "text": frame["text"], "buttons": [], "ts": None})

    def _welcome(self, ws: WebSocketRoute, frame: dict[str, Any]) -> None:
        error = None
        if frame.get("resume_code"):
            if _code_key(frame["resume_code"]) == _code_key(RESUMABLE_CODE):
                self.conversation_id, self.resume_code = "conv-resumed", RESUMABLE_CODE
                self.transcript = list(self.resumable_transcript)
            else:  # like the hub: stay in the current conversation, then say why
                error = {"type": "error", "code": "resume_not_found",
                         "message": "Ce code de reprise est inconnu ou a expiré."}  # fmt: skip
        welcome = {
            "type": "welcome",
            "conversation_id": self.conversation_id,
            "resume_code": self.resume_code,
            "language": frame.get("language"),
            "transcript": self.transcript,
        }
        ws.send(json.dumps(welcome))
        if error:
            ws.send(json.dumps(error))
