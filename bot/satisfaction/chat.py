""" "Did this help?" in the chat: when to ask, what the widget is sent, and the answer.

The hub asks, because it is the one that knows when a flow ended: at the end of a turn
whose troubleshooting step was solved, or in which a reset or user-code mail went out
(the internal API tells :meth:`ChatSatisfaction.flow_completed`), and when an agent
resolves a chat's handoff. Once per conversation, in the person's language.

Usage::

    satisfaction = ChatSatisfaction(store, live, settings, due=cluster.satisfaction_due)
    frame = await satisfaction.after_turn(conversation_id, "fr", solved=True)   # None: nothing to ask
    await satisfaction.handoff_resolved(handoff, "solved", "fr")   # pushed to open widgets
    reply = await satisfaction.answer(conversation_id, "widget", {"answer": "yes", "comment": ""})

Frames are the WebSocket protocol's (``bot/PROTOCOL.md``): ``{"type": "satisfaction",
"state": "asked", ...}`` and ``{"type": "satisfaction", "state": "answered", ...}``. The
socket.io channel shows the question as a bot message with two quick replies whose
payloads (:data:`PAYLOADS`) come back as messages and are answered here, never by Rasa.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.cluster.marks import LocalMarks, Marks
from bot.db.feedback_models import SatisfactionQuestion
from bot.db.handoff_models import Handoff
from bot.handoff.live import LiveChannels
from bot.satisfaction.store import MAX_COMMENT_CHARS, SatisfactionStore
from bot.settings import Settings
from bot.text_policy import check_text

__all__ = ["PAYLOADS", "ChatSatisfaction", "Reply", "question_frame"]

# socket.io quick replies: the message rasa-webchat sends back when one is clicked.
PAYLOADS = {"/satisfaction_yes": "yes", "/satisfaction_no": "no"}
# An agent closing a duplicate has nothing to be rated on.
_NOT_ASKED_AFTER = ("duplicate",)

TEXTS = {
    "question": {"fr": "Est-ce que ça vous a aidé ?", "en": "Did this help?"},
    "yes": {"fr": "Oui", "en": "Yes"},
    "no": {"fr": "Non", "en": "No"},
    "thanks_yes": {
        "fr": "Merci de votre réponse! Bonne journée.",
        "en": "Thank you for your answer! Have a good day.",
    },
    "thanks_no": {
        "fr": "Merci de nous l'avoir dit. Écrivez ce qui ne fonctionne toujours pas, ou demandez "
        "à parler à une personne du soutien.",
        "en": "Thank you for telling us. Write what is still not working, or ask to talk to a "
        "person from support.",
    },
}


def _text(key: str, language: str) -> str:
    return TEXTS[key]["en" if language == "en" else "fr"]


def question_frame(language: str) -> dict[str, Any]:
    """The widget's ``satisfaction`` frame that asks the question."""
    language = "en" if language == "en" else "fr"
    return {
        "type": "satisfaction",
        "state": "asked",
        "language": language,
        "question": _text("question", language),
        "options": [
            {"answer": "yes", "title": _text("yes", language)},
            {"answer": "no", "title": _text("no", language)},
        ],
    }


def socketio_question(frame: dict[str, Any]) -> dict[str, Any]:
    """The question as a ``bot_uttered`` event with two quick replies (rasa-webchat)."""
    payload_of = {answer: payload for payload, answer in PAYLOADS.items()}
    return {
        "text": str(frame.get("question", "")),
        "quick_replies": [
            {"content_type": "text", "title": option["title"], "payload": payload_of[option["answer"]]}
            for option in frame.get("options", [])
        ],
    }


@dataclasses.dataclass(frozen=True)
class Reply:
    """What the person is told after answering: a frame, or a refusal (error reason)."""

    frame: dict[str, Any] | None = None
    refused: str = ""


class ChatSatisfaction:
    def __init__(
        self, store: SatisfactionStore, live: LiveChannels, settings: Settings, *, due: Marks | None = None
    ) -> None:
        self.store = store
        self._live = live
        self._settings = settings
        # Chats whose turn sent a reset or user-code mail (the question is due after it).
        # Shared by every hub when they share Redis (bot.cluster): the action server may
        # call another hub's internal API than the one running the turn.
        self._due = due or LocalMarks()

    async def flow_completed(self, conversation_id: str, topic: str, language: str) -> None:
        """A reset or user-code mail was accepted for this chat (the internal API)."""
        await self.store.flow_completed(conversation_id, topic, language)
        await self._due.put(conversation_id)

    async def after_turn(self, conversation_id: str, language: str, *, solved: bool) -> dict[str, Any] | None:
        """The question frame to send after this turn's replies, or None.

        Only a turn that may have ended a flow reads the database (its steps say one was
        solved, or a mail went out for this chat during the turn): the rest of the turns
        cost nothing more than the due mark. A mark that did not reach this hub (Redis
        away) is asked about when the person next opens the chat (:meth:`on_open`).
        """
        due = await self._due.take(conversation_id)
        if not (solved or due):
            return None
        question = await self.store.ask_after_turn(conversation_id, language)
        return question_frame(language) if question is not None else None

    async def on_open(self, conversation_id: str) -> dict[str, Any] | None:
        """The question again when the person comes back before answering it."""
        question = await self.store.unanswered(conversation_id)
        return question_frame(question.language) if question is not None else None

    async def handoff_resolved(self, handoff: Handoff, outcome: str | None, language: str) -> None:
        """An agent resolved a handoff: ask the person's open widgets (chats only)."""
        packet = handoff.packet if isinstance(handoff.packet, dict) else {}
        if packet.get("channel") == "email" or outcome in _NOT_ASKED_AFTER:
            return
        question: SatisfactionQuestion | None = await self.store.ask_after_handoff(
            handoff.conversation_id, language
        )
        if question is not None:
            await self._live.to_widget(handoff.conversation_id, question_frame(language))

    async def answer(self, conversation_id: str, channel: str, frame: dict[str, Any]) -> Reply:
        """A person's ``satisfaction`` frame (or a socket.io quick reply turned into one)."""
        answer = frame.get("answer")
        comment = frame.get("comment")
        if answer not in ("yes", "no"):
            return Reply(refused="bad_answer")
        if comment is not None and not isinstance(comment, str):
            return Reply(refused="bad_answer")
        comment = (comment or "").replace("\r\n", "\n").strip()
        if comment:
            problem = check_text(comment, MAX_COMMENT_CHARS)
            if problem is not None:
                return Reply(refused="comment_too_long" if problem == "too_long" else "invalid_characters")
        outcome = await self.store.answer_chat(conversation_id, channel, str(answer), comment or None)
        if outcome != "recorded":
            return Reply(refused=outcome)
        language = await self.store.question_language(conversation_id) or self._settings.default_language
        return Reply(
            frame={
                "type": "satisfaction",
                "state": "answered",
                "answer": answer,
                "message": _text("thanks_yes" if answer == "yes" else "thanks_no", language),
            }
        )
