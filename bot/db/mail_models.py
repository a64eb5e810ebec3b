"""Tables of outbound mail (the outbox) and of mail caught by the development sink."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Column, Index, Integer, LargeBinary, String

from bot.db.models import Base, UTCDateTime, utcnow

__all__ = ["CaughtMail", "OutboxMail"]

OUTBOX_STATES = ("pending", "sent", "skipped")


class OutboxMail(Base):
    """A mail to send, written by a request and sent later by the outbox worker.

    The message is composed when it is sent, from ``kind`` and ``params``: a reset email's
    token is minted then, so no usable token ever sits in this table.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sent', 'skipped')", name="status"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    # One logical mail, one key: a request retried by its sender does not enqueue twice.
    key = Column(String(64), nullable=False, unique=True)
    kind = Column(String(32), nullable=False)
    # What the composer needs; emptied once the mail is sent or skipped.
    params = Column(JSON, nullable=False, default=dict)
    # pending -> sent, or pending -> skipped (the composer had nothing to send).
    status = Column(String(16), nullable=False, default="pending")
    attempts = Column(Integer, nullable=False, default=0)
    next_attempt_at = Column(UTCDateTime, nullable=False, default=utcnow)
    # A worker holds the row until this time; after it, another worker may take it over.
    claimed_until = Column(UTCDateTime, nullable=True)
    claim = Column(String(32), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = Column(UTCDateTime, nullable=True)
    message_id = Column(String(255), nullable=True)
    # Masked ("m***@exemple.ca"): enough to answer "was it sent?" without the address.
    recipient_hint = Column(String(255), nullable=True)
    last_error = Column(String(255), nullable=True)


class CaughtMail(Base):
    """A message received by the development mail sink, shown on ``/dev/mail``."""

    __tablename__ = "caught_mail"

    id = Column(Integer, primary_key=True, autoincrement=True)
    received_at = Column(UTCDateTime, nullable=False, default=utcnow)
    mail_from = Column(String(320), nullable=False)
    recipients = Column(JSON, nullable=False)
    subject = Column(String(998), nullable=False, default="")
    raw = Column(LargeBinary, nullable=False)
