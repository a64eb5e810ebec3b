"""Tables of the human handoff: agents, their sessions, handoffs, notes, intent corrections."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, ForeignKey, Index, Integer, String, Text

from bot.db.models import Base, UTCDateTime, utcnow

__all__ = ["Agent", "AgentSession", "Handoff", "HandoffNote", "IntentCorrection"]

HANDOFF_STATES = ("open", "resolved", "handed_back")
PRIORITIES = ("high", "normal")


class Agent(Base):
    """A support agent who signs in to the console."""

    __tablename__ = "agents"

    id = Column(Integer, primary_key=True, autoincrement=True)
    email = Column(String(254), nullable=False, unique=True)  # lower-cased
    name = Column(String(120), nullable=False)
    password_hash = Column(String(255), nullable=False)  # Argon2id
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class AgentSession(Base):
    """A signed-in console session. Only a hash of the cookie's value is stored."""

    __tablename__ = "agent_sessions"

    id_hash = Column(String(64), primary_key=True)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="CASCADE"), nullable=False, index=True)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at = Column(UTCDateTime, nullable=False, default=utcnow)


class Handoff(Base):
    """A conversation passed from the assistant to people, with what was known then."""

    __tablename__ = "handoffs"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'resolved', 'handed_back')", name="status"),
        CheckConstraint("priority IN ('high', 'normal')", name="priority"),
        Index("ix_handoffs_status_priority_created_at", "status", "priority", "created_at"),
        Index("ix_handoffs_created_at", "created_at"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(
        String(64), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The conversation id while the handoff is open, NULL once closed: unique, so a
    # retried escalation can never open a second handoff for the same conversation.
    open_key = Column(String(64), nullable=True, unique=True)
    status = Column(String(16), nullable=False, default="open")
    reason = Column(String(64), nullable=False)
    priority = Column(String(8), nullable=False, default="normal")
    language = Column(String(8), nullable=False)
    # The assistant's facts: browser, steps tried, reset email sent, user code, email.
    packet = Column(JSON, nullable=False, default=dict)
    # A full address the person gave, to answer by email; NULL when only a masked one is known.
    contact_email = Column(String(254), nullable=True)
    agent_online_at_open = Column(Integer, nullable=False, default=0)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"), nullable=True, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    claimed_at = Column(UTCDateTime, nullable=True)
    first_reply_at = Column(UTCDateTime, nullable=True)
    closed_at = Column(UTCDateTime, nullable=True)
    outcome = Column(String(32), nullable=True)
    mail_queued = Column(Integer, nullable=False, default=0)


class HandoffNote(Base):
    """An internal note on a handoff; never shown to the person."""

    __tablename__ = "handoff_notes"

    id = Column(Integer, primary_key=True, autoincrement=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, index=True)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"), nullable=True)
    text = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class IntentCorrection(Base):
    """An agent's verdict that a person's message meant another intent (NLU training data)."""

    __tablename__ = "intent_corrections"

    id = Column(Integer, primary_key=True, autoincrement=True)
    # One correction per message; a second verdict replaces the first.
    message_id = Column(Integer, ForeignKey("messages.id", ondelete="CASCADE"), nullable=False, unique=True)
    agent_id = Column(Integer, ForeignKey("agents.id", ondelete="SET NULL"), nullable=True)
    text = Column(Text, nullable=False)
    language = Column(String(8), nullable=False)
    predicted_intent = Column(String(128), nullable=True)
    correct_intent = Column(String(128), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
