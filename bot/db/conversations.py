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

import dataclasses
import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.db.models import Conversation, Message, utcnow
from bot.db.resume_codes import new_code, normalize_code
from bot.db.transactions import SessionWork, Transactions, in_session
from bot.funnel import funnel_columns
from bot.settings import Settings

__all__ = [
    "Button",
    "ConversationStore",
    "PersonMessage",
    "RecordedTurn",
    "new_conversation_id",
    "transcript_line",
]

Button = dict[str, str]  # {"title": ..., "payload": ...}

# Enough lines for any support chat; bounds the welcome frame.
TRANSCRIPT_LIMIT = 500
# How far back a clicked button may come from (people scroll up and click old ones).
BUTTON_LOOKBACK = 20


# The chat turn's statements, built once: the values travel as parameters, so SQLAlchemy
# finds each compiled statement in its cache instead of building and hashing a new one
# (record_turn's transaction 3.1 → 1.3 ms, tools/bench.py's paced turns are ~60 ms).
_TURN_CONVERSATION = "turn_conversation_id"
_INSERT_MESSAGE = insert(Message)
# The SET clause is the parameters' columns: activity, and the steps when Rasa sent some.
_UPDATE_CONVERSATION = update(Conversation).where(Conversation.id == bindparam(_TURN_CONVERSATION))
_CONVERSATION_STATUS = select(Conversation.status).where(Conversation.id == bindparam(_TURN_CONVERSATION))


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


def _row(message: Message) -> dict[str, Any]:
    """A new message's columns, for a Core INSERT (one statement for many rows)."""
    return {
        "conversation_id": message.conversation_id,
        "ts": message.ts,
        "author": message.author,
        "text": message.text,
        "buttons": message.buttons,
        "payload": message.payload,
        "intent": message.intent,
        "confidence": message.confidence,
        "language": message.language,
    }


@dataclasses.dataclass(frozen=True)
class PersonMessage:
    """A person's message as a turn stores it: what they saw, when it arrived, what Rasa understood."""

    text: str
    payload: str | None
    received_at: dt.datetime
    intent: str | None = None
    confidence: float | None = None
    language: str | None = None

    def message(self, conversation_id: str) -> Message:
        return Message(
            conversation_id=conversation_id,
            ts=self.received_at,
            author="person",
            text=self.text,
            payload=self.payload,
            intent=self.intent,
            confidence=self.confidence,
            language=self.language,
        )


@dataclasses.dataclass(frozen=True)
class RecordedTurn:
    """What :meth:`ConversationStore.record_turn` stored, and the conversation's status then."""

    person: Message
    replies: list[Message]
    status: str | None  # None: the conversation is gone


def transcript_line(message: Message) -> dict[str, Any]:
    """A message as the chat protocols show it."""
    return {
        "author": message.author,
        "text": message.text,
        "buttons": list(message.buttons or []),
        "ts": message.ts.isoformat(),
    }


def _adding(row: Conversation) -> SessionWork[None]:
    """A unit of work that adds ``row``."""
    return lambda session: session.add(row)


class ConversationStore:
    """Reads and writes conversations and their messages."""

    def __init__(
        self, sessions: sessionmaker, settings: Settings, transactions: Transactions | None = None
    ) -> None:
        """``transactions`` runs the chat's own transactions (``create``, ``record_turn``);
        without it, those run in a session of ``sessions`` like the rest."""
        self._sessions = sessions
        self._settings = settings
        self._transactions = transactions

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
                await in_session(self._sessions, self._transactions, _adding(conversation))
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

        One unit of work for a turn that does not reach the assistant (people have the
        conversation, Rasa cannot be reached, another turn holds the conversation); the
        conversation says whether people have it.
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

    async def record_turn(
        self,
        conversation_id: str,
        person: PersonMessage,
        lines: Sequence[tuple[str, str, Sequence[Button] | None]],
        *,
        steps_tried: Sequence[str] = (),
        shown_step: int | None = None,
        handed_over: bool = False,
    ) -> RecordedTurn:
        """A turn the assistant answered, in one unit of work: the only one of the turn.

        Appends the person's message with what Rasa understood of it, stores the
        troubleshooting steps so far and the step on screen (``shown_step``, for the
        dashboard's funnel), and appends the assistant's replies ``lines`` (author, text,
        buttons), unless people have the conversation now (status "agent") and the
        assistant did not hand it over during this very turn (``handed_over``): an agent
        took it while Rasa was answering, and those replies must not reach the person.

        The person's message comes back with its id; the replies are inserted in one
        statement and come back without ids (nothing reads them). The transaction runs on
        the store's ``transactions`` (on SQLite, one trip to a thread: bot.db.transactions).
        """
        now = utcnow()
        values: dict[str, Any] = {"updated_at": now, "person_wrote": 1}
        if steps_tried:
            values["steps_tried"] = list(steps_tried)
        if steps_tried or shown_step:
            values.update(funnel_columns(steps_tried, shown_step))
        message = person.message(conversation_id)
        replies = _new_messages(conversation_id, lines, now)

        def work(connection: Connection) -> RecordedTurn:
            inserted = connection.execute(_INSERT_MESSAGE, _row(message))
            message.id = inserted.inserted_primary_key[0]
            key = {_TURN_CONVERSATION: conversation_id}
            connection.execute(_UPDATE_CONVERSATION, {**key, **values})
            status = connection.execute(_CONVERSATION_STATUS, key).scalar_one_or_none()
            stored = [] if status == "agent" and not handed_over else replies
            if stored:
                connection.execute(_INSERT_MESSAGE, [_row(reply) for reply in stored])
            return RecordedTurn(message, stored, status)

        if self._transactions is not None:
            return await self._transactions.run(work)
        async with self._sessions() as session, session.begin():
            return await (await session.connection()).run_sync(work)

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
