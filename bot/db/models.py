"""The hub's tables: conversations and the messages in them.

Every person's message keeps what the assistant understood of it (intent, confidence,
language), so support can see why a conversation went the way it did.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import declarative_base, relationship

__all__ = ["AUTHORS", "Base", "Conversation", "Message", "UTCDateTime", "utcnow"]

# Stable constraint names, so that Alembic migrations (batch mode on SQLite) can refer
# to them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base: Any = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

AUTHORS = ("person", "assistant", "agent", "system")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime; use bot.db.models.utcnow()")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value


class Conversation(Base):
    """One person's chat with the assistant (and later with an agent)."""

    __tablename__ = "conversations"
    # The dashboard's range queries (bot/console/dashboard_queries.py) read only this index.
    __table_args__ = (
        Index(
            "ix_conversations_dashboard",
            "created_at", "person_wrote", "language", "channel", "furthest_step", "solved_step", "id",
        ),
    )  # fmt: skip

    # Issued by the server: secrets.token_urlsafe(24), 192 random bits. Also the Rasa
    # sender id, so the hub's transcript and Rasa's tracker line up.
    id = Column(String(64), primary_key=True)
    # Short code a person can type to get back here after wiping browser storage;
    # stored normalised (upper case, no separators).
    resume_code = Column(String(16), nullable=False, unique=True)
    language = Column(String(8), nullable=False)
    channel = Column(String(16), nullable=False, default="widget")
    # 'bot' while the assistant answers; 'agent' while a handoff is open (the person's
    # messages then go to the console, not to Rasa).
    status = Column(String(16), nullable=False, default="bot")
    # The assistant's troubleshooting steps and how each ended ("cache:solved"), copied
    # from Rasa's tracker after each turn: the dashboard counts which step solves what.
    steps_tried = Column(JSON(none_as_null=True), nullable=True)
    # Derived from steps_tried where it is written (bot.funnel): the furthest step shown
    # and the step that solved the problem, for the dashboard's funnel in plain SQL.
    furthest_step = Column(Integer, nullable=True)
    solved_step = Column(Integer, nullable=True)
    # 1 once the person wrote something (a widget opened and left empty is no conversation
    # for the dashboard); set by the stores that add a person's message.
    person_wrote = Column(Integer, nullable=False, default=0, server_default="0")
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)

    messages = relationship("Message", back_populates="conversation", order_by="Message.id", lazy="raise")


class Message(Base):
    """One line of a transcript."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("author IN ('person', 'assistant', 'agent', 'system')", name="author"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(64), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    ts = Column(UTCDateTime, nullable=False, default=utcnow)
    author = Column(String(16), nullable=False)
    text = Column(Text, nullable=False, default="")
    # Quick replies offered with an assistant message: [{"title": ..., "payload": ...}].
    buttons = Column(JSON(none_as_null=True), nullable=True)
    # For a person's message sent by clicking a button: what was sent to Rasa.
    payload = Column(Text, nullable=True)
    # What Rasa understood of a person's message (from the tracker after the turn).
    intent = Column(String(128), nullable=True)
    confidence = Column(Float, nullable=True)
    language = Column(String(8), nullable=True)

    conversation = relationship("Conversation", back_populates="messages", lazy="raise")
