"""The conversation repository: create, find and extend conversations and transcripts.

Usage::

    store = ConversationStore(sessions, settings)
    conversation = await store.create(language="fr", channel="widget")
    await store.add_message(conversation.id, "person", "bonjour")
    lines = await store.transcript(conversation.id)

Each public method is one unit of work (one session, one transaction). Returned objects
are detached snapshots; change the database through the store, not through them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.db.models import Conversation, Message, utcnow
from bot.db.resume_codes import new_code, normalize_code
from bot.funnel import funnel_columns
from bot.settings import Settings

__all__ = ["Button", "ConversationStore", "new_conversation_id", "transcript_line"]

Button = dict[str, str]  # {"title": ..., "payload": ...}

# Enough lines for any support chat; bounds the welcome frame.
TRANSCRIPT_LIMIT = 500
# How far back a clicked button may come from (people scroll up and click old ones).
BUTTON_LOOKBACK = 20


def new_conversation_id() -> str:
    """192 random bits, URL-safe: a secret that cannot be guessed or enumerated."""
    return secrets.token_urlsafe(24)


def _new_messages(
    conversation_id: str,
    lines: Sequence[tuple[str, str, Sequence[Button] | None]],
    now: dt.datetime,
    *,
    payload: str | None = None,
) -> list[Message]:
    """Transcript lines (author, text, buttons) ready to add to a session."""
    return [
        Message(
            conversation_id=conversation_id,
            ts=now,
            author=author,
            text=text,
            buttons=list(buttons) if buttons else None,
            payload=payload,
        )
        for author, text, buttons in lines
    ]


def transcript_line(message: Message) -> dict[str, Any]:
    """A message as the chat protocols show it."""
    return {
        "author": message.author,
        "text": message.text,
        "buttons": list(message.buttons or []),
        "ts": message.ts.isoformat(),
    }


class ConversationStore:
    """Reads and writes conversations and their messages."""

    def __init__(self, sessions: sessionmaker, settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings

    async def create(self, language: str, channel: str) -> Conversation:
        """A new conversation with a fresh id and resume code."""
        for _attempt in range(5):
            now = utcnow()
            conversation = Conversation(
                id=new_conversation_id(),
                resume_code=new_code(),
                language=language,
                channel=channel,
                status="bot",
                created_at=now,
                updated_at=now,
            )
            try:
                async with self._sessions() as session, session.begin():
                    session.add(conversation)
            except IntegrityError:
                continue  # resume code collision (rare): draw again
            return conversation
        raise RuntimeError("could not allocate a unique resume code")

    async def get(self, conversation_id: object) -> Conversation | None:
        """The conversation with this id, or None (also for non-string junk)."""
        if not isinstance(conversation_id, str) or not 16 <= len(conversation_id) <= 64:
            return None
        async with self._sessions() as session:
            return await session.get(Conversation, conversation_id)

    async def find_by_resume_code(self, raw_code: object) -> Conversation | None:
        """The conversation a resume code opens, if the code exists and has not expired."""
        code = normalize_code(raw_code) if isinstance(raw_code, str) else None
        if code is None:
            return None
        async with self._sessions() as session:
            conversation = (
                await session.execute(select(Conversation).where(Conversation.resume_code == code))
            ).scalar_one_or_none()
        if conversation is None:
            return None
        ttl = dt.timedelta(days=self._settings.resume_code_ttl_days)
        if conversation.updated_at + ttl < utcnow():
            return None
        return conversation

    async def set_language(self, conversation_id: str, language: str) -> None:
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(language=language, updated_at=utcnow())
            )

    async def add_message(
        self,
        conversation_id: str,
        author: str,
        text: str,
        *,
        buttons: Sequence[Button] | None = None,
        payload: str | None = None,
    ) -> Message:
        """Append one message to the transcript (and mark the conversation active)."""
        messages = await self.add_messages(conversation_id, [(author, text, buttons)], payload=payload)
        return messages[0]

    async def add_messages(
        self,
        conversation_id: str,
        lines: Sequence[tuple[str, str, Sequence[Button] | None]],
        *,
        payload: str | None = None,
    ) -> list[Message]:
        """Append several messages (author, text, buttons) in one transaction."""
        now = utcnow()
        messages = _new_messages(conversation_id, lines, now, payload=payload)
        async with self._sessions() as session, session.begin():
            session.add_all(messages)
            values: dict[str, Any] = {"updated_at": now}
            if any(message.author == "person" for message in messages):
                values["person_wrote"] = 1
            await session.execute(
                update(Conversation).where(Conversation.id == conversation_id).values(**values)
            )
        return messages

    async def add_person_message(
        self, conversation_id: str, text: str, *, payload: str | None = None
    ) -> tuple[Message, Conversation | None]:
        """Append a person's message; return it and the conversation as it is now.

        One unit of work for what a chat turn needs first (the stored message, and the
        conversation's status: is a handoff open?).
        """
        now = utcnow()
        message = Message(
            conversation_id=conversation_id, ts=now, author="person", text=text, payload=payload
        )
        async with self._sessions() as session, session.begin():
            session.add(message)
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(updated_at=now, person_wrote=1)
            )
            conversation = await session.get(Conversation, conversation_id, populate_existing=True)
        return message, conversation

    async def finish_turn(
        self,
        conversation_id: str,
        person_message_id: int,
        lines: Sequence[tuple[str, str, Sequence[Button] | None]],
        *,
        understood: tuple[str | None, float | None, str | None] | None = None,
        steps_tried: Sequence[str] = (),
        shown_step: int | None = None,
    ) -> list[Message]:
        """The end of a chat turn in one unit of work.

        Stores what Rasa understood of the person's message (``understood``: intent,
        confidence, language), the troubleshooting steps so far (if any) and the step on
        screen (``shown_step``, for the dashboard's funnel), and appends the
        assistant's replies ``lines`` (author, text, buttons); returns the stored replies.
        """
        now = utcnow()
        messages = _new_messages(conversation_id, lines, now)
        async with self._sessions() as session, session.begin():
            if understood is not None:
                intent, confidence, language = understood
                await session.execute(
                    update(Message)
                    .where(Message.id == person_message_id)
                    .values(intent=intent, confidence=confidence, language=language)
                )
            values: dict[str, Any] = {}
            if steps_tried:
                values["steps_tried"] = list(steps_tried)
            if steps_tried or shown_step:
                values.update(funnel_columns(steps_tried, shown_step))
            if messages:
                session.add_all(messages)
                values["updated_at"] = now
            if values:
                await session.execute(
                    update(Conversation).where(Conversation.id == conversation_id).values(**values)
                )
        return messages

    async def record_understanding(
        self,
        message_id: int,
        intent: str | None,
        confidence: float | None,
        language: str | None,
    ) -> None:
        """Store what Rasa understood of a person's message."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(Message)
                .where(Message.id == message_id)
                .values(intent=intent, confidence=confidence, language=language)
            )

    async def record_steps(self, conversation_id: str, steps_tried: Sequence[str]) -> None:
        """The assistant's troubleshooting steps so far, as Rasa's tracker has them."""
        async with self._sessions() as session, session.begin():
            await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id)
                .values(steps_tried=list(steps_tried) or None, **funnel_columns(steps_tried))
            )

    async def transcript(self, conversation_id: str, limit: int = TRANSCRIPT_LIMIT) -> list[Message]:
        """The conversation's last ``limit`` messages, oldest first."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(Message)
                    .where(Message.conversation_id == conversation_id)
                    .order_by(Message.id.desc())
                    .limit(limit)
                )
            ).scalars()
            return list(reversed(list(rows)))

    async def offered_button(self, conversation_id: str, payload: str) -> Button | None:
        """The button with this payload among those recently offered to the person."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(Message.buttons)
                    .where(
                        Message.conversation_id == conversation_id,
                        Message.author.in_(("assistant", "agent")),
                        Message.buttons.isnot(None),
                    )
                    .order_by(Message.id.desc())
                    .limit(BUTTON_LOOKBACK)
                )
            ).scalars()
            for buttons in rows:
                for button in buttons or []:
                    if isinstance(button, dict) and button.get("payload") == payload:
                        return {"title": str(button.get("title", "")), "payload": payload}
        return None
