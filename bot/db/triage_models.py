"""Tables of the email triage: every received mail, and the Message-IDs that thread mail.

A received mail is written first (``status`` "received", raw bytes kept), then triaged by
the worker ("done": raw bytes dropped, what was understood and decided kept) or set
aside ("quarantined": raw bytes kept for a person to look at).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)

from bot.db.models import Base, UTCDateTime, utcnow

__all__ = ["INBOUND_STATES", "InboundMail", "MailThreadId"]

INBOUND_STATES = ("received", "done", "quarantined")
DECISIONS = ("auto_reply", "ticket", "filed", "quarantined")


class InboundMail(Base):
    __tablename__ = "inbound_mail"
    __table_args__ = (
        CheckConstraint("status IN ('received', 'done', 'quarantined')", name="status"),
        Index("ix_inbound_mail_status_next_attempt_at", "status", "next_attempt_at"),
        # The dashboard's mail figures read only this index.
        Index("ix_inbound_mail_received_at", "received_at", "language", "decision"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    # SHA-256 of the Message-ID: unique, so the same mail delivered twice is one record.
    message_key = Column(String(64), nullable=False, unique=True)
    message_id = Column(String(998), nullable=False)
    source = Column(String(8), nullable=False)  # smtp | imap | file
    status = Column(String(16), nullable=False, default="received")
    received_at = Column(UTCDateTime, nullable=False, default=utcnow)
    processed_at = Column(UTCDateTime, nullable=True)
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_error = Column(String(255), nullable=True)
    # A worker holds the row until this time (bot.jobs); after it, another worker may take it over.
    claimed_until = Column(UTCDateTime, nullable=True)
    claim = Column(String(32), nullable=True)
    # Until triaged, and for quarantined mail; NULL once triaged.
    raw = Column(LargeBinary, nullable=True)
    size = Column(Integer, nullable=False, default=0)
    # SMTP envelope sender: NULL when unknown (IMAP, files), "" for the null sender <>.
    envelope_from = Column(String(320), nullable=True)
    from_address = Column(String(320), nullable=False, default="")
    answer_address = Column(String(320), nullable=False, default="")
    subject = Column(String(998), nullable=False, default="")
    in_reply_to = Column(JSON, nullable=False, default=list)
    references = Column(JSON, nullable=False, default=list)
    attachments = Column(JSON, nullable=False, default=list)
    # The text that was classified (subject and new text, quotes and signature removed).
    text = Column(Text, nullable=False, default="")
    # The sentence of that text whose topic decided (a long mail's request); NULL when the
    # whole text decided.
    deciding_text = Column(Text, nullable=True)
    language = Column(String(8), nullable=True)
    intent = Column(String(128), nullable=True)
    confidence = Column(Float, nullable=True)
    # auto_reply | ticket | filed | quarantined, and why ("known_problem", "low_confidence",
    # "auto_submitted", "reply_to_auto_answer", "rate_limited", "shadow", "too_large", ...).
    decision = Column(String(16), nullable=True)
    reason = Column(String(64), nullable=True)
    conversation_id = Column(
        String(64), ForeignKey("conversations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="SET NULL"), nullable=True)
    # The Message-ID our automatic answer carries (or would have, in shadow mode).
    reply_message_id = Column(String(255), nullable=True)


class MailThreadId(Base):
    """A Message-ID we received or sent, and the conversation (thread) it belongs to."""

    __tablename__ = "mail_thread_ids"

    message_key = Column(String(64), primary_key=True)  # SHA-256 of the Message-ID
    conversation_id = Column(String(64), ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False)
    # inbound | auto_reply | agent_reply: a reply to an auto_reply means "that did not help".
    kind = Column(String(16), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
