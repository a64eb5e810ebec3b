"""Talking to the Rasa server and checking on the action server, over HTTP.

Usage::

    async with aiohttp.ClientSession() as http:
        rasa = RasaClient(http, settings)
        turn = await rasa.turn("conv-id", "mot de passe oublié",
                               {"language": "fr", "user_agent": "..."})
        turn.replies, turn.understood.intent, turn.understood.language

Rasa must run with the project's hub channel (``rasa_addons.hub_channel.HubInput`` in
credentials.yml) and ``--enable-api``, both checking the token ``GEM_RASA_TOKEN``
(``tools.rasa_server``). Any failure to reach Rasa becomes :class:`AssistantUnavailable`;
the caller decides what the person is told.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import Any

import aiohttp

from bot.settings import Settings

__all__ = ["AssistantReply", "AssistantTurn", "AssistantUnavailable", "Parse", "RasaClient", "Understanding"]

log = logging.getLogger(__name__)

# Bounds on what is accepted from Rasa, so a misbehaving model cannot flood a widget.
_MAX_REPLIES = 20
_MAX_BUTTONS = 12


class AssistantUnavailable(Exception):
    """Rasa (or the action server behind it) could not answer."""


@dataclasses.dataclass(frozen=True)
class AssistantReply:
    """One bot message from Rasa's REST channel."""

    text: str
    buttons: list[dict[str, str]]
    custom: Any = None


@dataclasses.dataclass(frozen=True)
class Understanding:
    """What Rasa's NLU made of the latest user message, and the slots the hub keeps."""

    intent: str | None
    confidence: float | None
    language: str | None
    # The troubleshooting steps and how they ended ("main_site:failed"), for the dashboard.
    steps_tried: tuple[str, ...] = ()
    # The troubleshooting step on screen (1-4), None outside the sequence: a step shown
    # and never answered is in no ``steps_tried`` entry, and the funnel counts it too.
    troubleshooting_step: int | None = None


@dataclasses.dataclass(frozen=True)
class AssistantTurn:
    """Rasa's answer to one chat turn (``rasa_addons.hub_channel``)."""

    replies: list[AssistantReply]
    understood: Understanding
    # Set when the assistant handed the conversation to support during this turn.
    handoff_reason: str | None = None


@dataclasses.dataclass(frozen=True)
class Parse:
    """Rasa's NLU result for a text outside any conversation (``/model/parse``)."""

    intent: str | None
    confidence: float
    # "fr" / "en" from the pipeline's language detector; None when it could not tell.
    language: str | None
    # The next likeliest intents, best first: ((name, confidence), ...).
    ranking: tuple[tuple[str, float], ...] = ()


def _parse_nlu(body: Any) -> Parse:
    if not isinstance(body, dict):
        raise AssistantUnavailable(f"unexpected parse body: {type(body).__name__}")
    found = body.get("intent")
    intent: dict[str, Any] = found if isinstance(found, dict) else {}
    name = intent.get("name")
    confidence = intent.get("confidence")
    language = None
    for entity in body.get("entities") or []:
        if (
            isinstance(entity, dict)
            and entity.get("entity") == "language"
            and entity.get("value") in ("fr", "en")
        ):
            language = entity["value"]
    ranking = []
    for item in (body.get("intent_ranking") or [])[:5]:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            ranking.append((item["name"], float(item.get("confidence") or 0.0)))
    return Parse(
        intent=name if isinstance(name, str) else None,
        confidence=float(confidence) if isinstance(confidence, (int, float)) else 0.0,
        language=language,
        ranking=tuple(ranking),
    )


def _parse_replies(body: Any) -> list[AssistantReply]:
    if not isinstance(body, list):
        raise AssistantUnavailable(f"unexpected webhook body: {type(body).__name__}")
    replies = []
    for item in body[:_MAX_REPLIES]:
        if not isinstance(item, dict):
            continue
        raw_text = item.get("text")
        text = raw_text if isinstance(raw_text, str) else ""
        buttons = []
        for button in item.get("buttons") or []:
            if isinstance(button, dict) and isinstance(button.get("payload"), str):
                title = button.get("title")
                buttons.append(
                    {
                        "title": title if isinstance(title, str) else button["payload"],
                        "payload": button["payload"],
                    }
                )
        custom = item.get("custom")
        if text or buttons or custom is not None:
            replies.append(AssistantReply(text=text, buttons=buttons[:_MAX_BUTTONS], custom=custom))
    return replies


def _parse_turn(body: Any) -> AssistantTurn:
    """The hub channel's answer (``rasa_addons.hub_channel``), bounded and type-checked."""
    if not isinstance(body, dict):
        raise AssistantUnavailable(f"unexpected turn body: {type(body).__name__}")
    name = body.get("intent")
    confidence = body.get("confidence")
    language = body.get("language")
    steps = body.get("steps_tried")
    reason = body.get("handoff_reason")
    step = body.get("troubleshooting_step")
    understood = Understanding(
        intent=name if isinstance(name, str) else None,
        confidence=float(confidence) if isinstance(confidence, (int, float)) else None,
        language=language if language in ("fr", "en") else None,
        steps_tried=tuple(str(s)[:64] for s in steps[:20]) if isinstance(steps, list) else (),
        troubleshooting_step=int(str(step)) if str(step) in ("1", "2", "3", "4") else None,
    )
    return AssistantTurn(
        replies=_parse_replies(body.get("replies")),
        understood=understood,
        handoff_reason=reason[:64] if isinstance(reason, str) and reason else None,
    )


class RasaClient:
    """The hub's side of Rasa's HTTP API; one instance per app, sharing one session."""

    def __init__(self, http: aiohttp.ClientSession, settings: Settings) -> None:
        self._http = http
        self._rasa_url = settings.rasa_url.rstrip("/")
        self._actions_url = settings.action_server_url.rstrip("/")
        self._token = settings.rasa_token
        self._timeout = aiohttp.ClientTimeout(total=settings.rasa_timeout_seconds)
        self._health_timeout = aiohttp.ClientTimeout(total=settings.health_timeout_seconds)

    def _token_params(self) -> dict[str, str]:
        return {"token": self._token} if self._token else {}

    def _auth_header(self) -> dict[str, str]:
        # A header rather than ?token=: query strings end up in access logs.
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    async def turn(self, sender_id: str, text: str, metadata: dict[str, Any]) -> AssistantTurn:
        """Relay one user message through the hub channel: one HTTP call per chat turn.

        The answer carries Rasa's replies and what it understood (intent, confidence,
        language, steps tried, a handoff), read from the tracker inside Rasa.
        """
        body = {"sender": sender_id, "message": text, "metadata": metadata}
        try:
            async with self._http.post(
                f"{self._rasa_url}/webhooks/hub/turn",
                headers=self._auth_header(),
                json=body,
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise AssistantUnavailable(f"hub channel answered HTTP {response.status}")
                return _parse_turn(await response.json(content_type=None))
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise AssistantUnavailable(f"hub channel failed: {exc!r}") from exc

    async def parse(self, text: str) -> Parse:
        """Intent, confidence and language of a text (no conversation, no dialogue)."""
        # A leading "/" would make Rasa read the text as an intent name ("/greet").
        body = {"text": text.lstrip("/ ")}
        try:
            async with self._http.post(
                f"{self._rasa_url}/model/parse",
                params=self._token_params(),
                json=body,
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise AssistantUnavailable(f"parse answered HTTP {response.status}")
                return _parse_nlu(await response.json(content_type=None))
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise AssistantUnavailable(f"parse failed: {exc!r}") from exc

    async def set_slot(self, sender_id: str, name: str, value: Any) -> bool:
        """Set a slot on the conversation's tracker; False (and a log line) if Rasa refused."""
        event = {"event": "slot", "name": name, "value": value}
        try:
            async with self._http.post(
                f"{self._rasa_url}/conversations/{sender_id}/tracker/events",
                params=self._token_params(),
                json=event,
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    log.warning("setting slot %s: HTTP %s", name, response.status)
                    return False
                return True
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("setting slot %s failed: %r", name, exc)
            return False

    async def rasa_health(self) -> dict[str, Any]:
        """Rasa's root and authenticated /status: {"ok": bool, ...}."""
        try:
            async with self._http.get(f"{self._rasa_url}/", timeout=self._health_timeout) as response:
                if response.status != 200:
                    return {"ok": False, "error": f"HTTP {response.status} from /"}
                version = (await response.text())[:100]
            async with self._http.get(
                f"{self._rasa_url}/status",
                params=self._token_params(),
                timeout=self._health_timeout,
            ) as response:
                if response.status != 200:
                    return {
                        "ok": False,
                        "version": version,
                        "error": f"HTTP {response.status} from /status",
                    }
                status = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            return {"ok": False, "error": _describe(exc)}
        model = status.get("model_file") if isinstance(status, dict) else None
        if not model:
            return {"ok": False, "version": version, "error": "no model loaded"}
        return {"ok": True, "version": version, "model": str(model)}

    async def action_server_health(self) -> dict[str, Any]:
        """The action server's /health: {"ok": bool, ...}."""
        try:
            async with self._http.get(
                f"{self._actions_url}/health", timeout=self._health_timeout
            ) as response:
                if response.status != 200:
                    return {"ok": False, "error": f"HTTP {response.status} from /health"}
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return {"ok": False, "error": _describe(exc)}
        return {"ok": True}


def _describe(exc: BaseException) -> str:
    """A short description of a failure, without addresses or tracebacks."""
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    if isinstance(exc, aiohttp.ClientConnectionError):
        return "unreachable"
    return type(exc).__name__
