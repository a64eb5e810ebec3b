"""The hub's channel into Rasa: one HTTP call per chat turn, answered with everything the
hub stores about that turn, read from the tracker inside Rasa's process.

Registered in ``credentials.yml`` as ``rasa_addons.hub_channel.HubInput``::

    POST /webhooks/hub/turn?token=<GEM_RASA_TOKEN>      (or Authorization: Bearer <token>)
    {"sender": "conversation id", "message": "mot de passe oublié",
     "metadata": {"language": "fr", "user_agent": "..."}}

    200 {"replies": [{"text": ..., "buttons": [...]}, ...],   # as the REST channel sends them
         "intent": "forgot_password", "confidence": 0.97,     # the person's message, NLU
         "language": "fr", "steps_tried": ["main_site:failed"],  # slots after the turn
         "troubleshooting_step": 2,     # the step on screen, for the dashboard's funnel
         "handoff_reason": null}    # set when the assistant handed over to support this turn
    400 {"error": "bad_request"}   401 {"error": "unauthorized"}
    503 {"error": "not_ready"} (no model loaded)   500 {"error": "failed"} (see Rasa's log)

The token is the Rasa HTTP API's (``tools.rasa_server`` reads it from ``GEM_RASA_TOKEN``
or ``GEM_RASA_TOKEN_FILE`` and keeps it off command lines); without one configured the
channel refuses every call. The REST channel (``rest:``) stays for curl and the tests.

Why not the REST channel and a ``GET /conversations/{id}/tracker``: that second call made
Rasa fetch and replay the whole tracker again and serialise it to JSON, a cost that grew
with every turn of the conversation. Here the turn runs on the tracker Rasa already has in
hand, under the conversation's lock, so what is reported belongs to this message.
"""

from __future__ import annotations

import hmac
import inspect
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sanic import Blueprint, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa_addons.frozen_heap import freeze_after_start

__all__ = ["HubInput", "turn_report"]

log = logging.getLogger(__name__)

LANGUAGES = ("fr", "en")
# Bounds on what goes back to the hub (the hub bounds it again on its side).
_MAX_STEPS = 20
_MAX_MESSAGE_CHARS = 10_000


def _configured_token() -> str | None:
    """The Rasa API token of this server, as ``tools.rasa_server`` was given it."""
    from tools.rasa_server import TOKEN_VAR, read_secret

    if not (os.environ.get(TOKEN_VAR) or os.environ.get(f"{TOKEN_VAR}_FILE")):
        return None
    return read_secret(os.environ, TOKEN_VAR, "the hub channel")


def _handoff_reason(tracker: DialogueStateTracker) -> str | None:
    """The reason of a handoff the assistant opened in the latest turn, else None.

    ``actions.handoff.escalate`` sets ``handoff_reason`` and clears ``pending``; an offer of
    support (out of scope, not understood) sets ``handoff_reason`` with ``pending:
    offer_support`` and hands nothing over yet.
    """
    reason = None
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            break
        if reason is None and isinstance(event, SlotSet) and event.key == "handoff_reason" and event.value:
            reason = str(event.value)
    if reason is None or tracker.get_slot("pending") == "offer_support":
        return None
    return reason


def turn_report(tracker: DialogueStateTracker, replies: list[dict[str, Any]]) -> dict[str, Any]:
    """The channel's answer: the replies and what the hub stores about the turn."""
    intent = tracker.latest_message.intent if tracker.latest_message else {}
    name = intent.get("name")
    confidence = intent.get("confidence")
    language = tracker.get_slot("language")
    steps = tracker.get_slot("steps_tried")
    step = tracker.get_slot("troubleshooting_step")
    return {
        "replies": replies,
        "intent": name if isinstance(name, str) else None,
        "confidence": float(confidence) if isinstance(confidence, (int, float)) else None,
        "language": language if language in LANGUAGES else None,
        "steps_tried": [str(step) for step in steps[:_MAX_STEPS]] if isinstance(steps, list) else [],
        "troubleshooting_step": step if isinstance(step, (int, float, str)) else None,
        "handoff_reason": _handoff_reason(tracker),
    }


class HubInput(InputChannel):
    """``POST /webhooks/hub/turn``: one chat turn for the hub (see the module docstring)."""

    def __init__(self, token: str | None) -> None:
        self._token = token
        if not token:
            log.warning("hub channel: no GEM_RASA_TOKEN or GEM_RASA_TOKEN_FILE; every call is refused")

    @classmethod
    def name(cls) -> str:
        return "hub"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        # Nothing secret in credentials.yml: the token comes from the environment, like
        # the one Rasa's HTTP API checks (tools.rasa_server).
        return cls(_configured_token())

    def _authorized(self, request: Request) -> bool:
        if not self._token:
            return False
        scheme, _, provided = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            provided = request.args.get("token") or ""
        return hmac.compare_digest(provided.strip().encode("utf-8"), self._token.encode("utf-8"))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        module = inspect.getmodule(self)
        hub = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)
        # The project's code in every Rasa server of this project: keep the loaded model
        # out of full garbage collections (rasa_addons.frozen_heap).
        freeze_after_start(hub)

        @hub.route("/turn", methods=["POST"])
        async def turn(request: Request) -> HTTPResponse:
            if not self._authorized(request):
                return response.json({"error": "unauthorized"}, status=401)
            try:
                body = request.json if request.body else None
            except SanicException:  # not JSON
                body = None
            sender = body.get("sender") if isinstance(body, dict) else None
            text = body.get("message") if isinstance(body, dict) else None
            metadata = body.get("metadata") if isinstance(body, dict) else None
            if (
                not isinstance(sender, str)
                or not sender
                or not isinstance(text, str)
                or len(text) > _MAX_MESSAGE_CHARS
                or not isinstance(metadata, (dict, type(None)))
            ):
                return response.json({"error": "bad_request"}, status=400)
            agent = getattr(request.app.ctx, "agent", None)
            if agent is None or not agent.is_ready():
                return response.json({"error": "not_ready"}, status=503)
            collector = CollectingOutputChannel()
            message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
            try:
                tracker = await _handle(agent, message)
            except Exception:
                log.exception("hub channel: the turn failed")
                return response.json({"error": "failed"}, status=500)
            return response.json(turn_report(tracker, collector.messages))

        return hub


async def _handle(agent: Any, message: UserMessage) -> DialogueStateTracker:
    """``Agent.handle_message`` (Rasa 3.6), keeping the tracker it ends with.

    The same steps, in the same order, under the same per-conversation lock, as
    ``rasa.core.agent.Agent.handle_message`` and ``MessageProcessor.handle_message``;
    only the tracker is returned instead of being dropped.
    """
    processor = agent.processor
    async with agent.lock_store.lock(message.sender_id):
        tracker = await processor.log_message(message, should_save_tracker=False)
        tracker = await processor.run_action_extract_slots(message.output_channel, tracker)
        await processor._run_prediction_loop(message.output_channel, tracker)
        await processor.run_anonymization_pipeline(tracker)
        await processor.save_tracker(tracker)
    return tracker
