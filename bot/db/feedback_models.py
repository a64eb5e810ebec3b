"""What people said about the help they got: "Did this help?" in the widget, and the
two links at the end of an automatic mail answer.

One row per conversation or per mail thread (a second answer replaces the first), so
the dashboard can count satisfaction by topic, language, step and channel with SQL.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Text

from bot.db.models import Base, UTCDateTime, utcnow

__all__ = ["HubSecret", "ReviewDismissal", "Satisfaction", "SatisfactionQuestion"]

SATISFACTION_ANSWERS = ("yes", "no")
SATISFACTION_CHANNELS = ("widget", "socketio", "mail")


class Satisfaction(Base):
    """One person's answer to "Did this help?"."""

    __tablename__ = "satisfaction"
    __table_args__ = (
        CheckConstraint("answer IN ('yes', 'no')", name="answer"),
        CheckConstraint("channel IN ('widget', 'socketio', 'mail')", name="channel"),
        CheckConstraint("(conversation_id IS NOT NULL) OR (inbound_mail_id IS NOT NULL)", name="subject"),
        Index("ix_satisfaction_created_at", "created_at"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    # Exactly one of the two: the chat it is about, or the triaged mail that was answered.
    conversation_id = Column(
        String(64), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    inbound_mail_id = Column(
        Integer, ForeignKey("inbound_mail.id", ondelete="CASCADE"), nullable=True, unique=True
    )
    channel = Column(String(16), nullable=False)
    language = Column(String(8), nullable=False)
    # What the help was about: the intent or triage topic ("forgot_password", ...).
    topic = Column(String(64), nullable=True)
    # The troubleshooting step that ended the flow ("cache", "browser", ...), when there was one.
    step = Column(String(32), nullable=True)
    # Whether an agent resolved it (a handoff) or the assistant alone.
    resolved_by = Column(String(16), nullable=False, default="assistant")
    answer = Column(String(8), nullable=False)
    comment = Column(Text, nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class SatisfactionQuestion(Base):
    """ "Did this help?" asked (or about to be) in one chat: at most once per conversation.

    A row with ``asked_at`` NULL is a question due at the end of the current turn (a reset
    or user-code mail just went out); the answer, when it comes, goes to ``satisfaction``
    with this row's topic, step and ``resolved_by``.
    """

    __tablename__ = "satisfaction_questions"

    conversation_id = Column(String(64), ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True)
    channel = Column(String(16), nullable=False)
    language = Column(String(8), nullable=False)
    topic = Column(String(64), nullable=True)
    step = Column(String(32), nullable=True)
    resolved_by = Column(String(16), nullable=False, default="assistant")
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    asked_at = Column(UTCDateTime, nullable=True)


class HubSecret(Base):
    """A random secret the hub made for itself, shared by every hub on the database.

    Used when no secret is configured (``GEM_LINK_SECRET``), so that signed links in mail
    keep working across restarts and on every hub process.
    """

    __tablename__ = "hub_secrets"

    name = Column(String(32), primary_key=True)
    value = Column(String(128), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class ReviewDismissal(Base):
    """An agent's verdict on the review page that a message is no training example."""

    __tablename__ = "review_dismissals"

    message_id = Column(Integer, ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
