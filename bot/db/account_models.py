"""Tables of the built-in account directory: accounts, reset tokens, rate-limit hits.

The directory stands in for the GEM-BOOKS platform when no platform is configured, so
a person trying the product can reset a password end to end on one machine.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String

from bot.db.models import Base, UTCDateTime, utcnow

__all__ = ["Account", "RateLimitHit", "ResetToken"]


class Account(Base):
    """A GEM-BOOKS account: what the login page and the reset email need."""

    __tablename__ = "accounts"
    __table_args__ = (CheckConstraint("language IN ('fr', 'en')", name="language"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    # As the person typed it at creation; shown in the reminder email.
    user_code = Column(String(30), nullable=False)
    # Lower-cased user code: "JTremblay" and "jtremblay" are the same account.
    user_code_key = Column(String(30), nullable=False, unique=True)
    # Lower-cased. Several accounts may share one address (a bookkeeper's clients).
    email = Column(String(254), nullable=False, index=True)
    display_name = Column(String(120), nullable=False)
    language = Column(String(8), nullable=False)
    # Argon2id (argon2-cffi's encoded form); NULL until a password is chosen.
    password_hash = Column(String(255), nullable=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    password_changed_at = Column(UTCDateTime, nullable=True)


class ResetToken(Base):
    """A password-reset link's token, kept only as its SHA-256 hash."""

    __tablename__ = "reset_tokens"

    id = Column(Integer, primary_key=True, autoincrement=True)
    account_id = Column(Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    created_at = Column(UTCDateTime, nullable=False)
    expires_at = Column(UTCDateTime, nullable=False)
    # Set when the link was used, or when a newer link replaced it: either way it is dead.
    spent_at = Column(UTCDateTime, nullable=True)


class RateLimitHit(Base):
    """One counted request under a rate-limit key (a hash: no address stored here).

    In the database rather than in memory so that every hub process shares the limits.
    """

    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_key_at", "key", "at"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    key = Column(String(64), nullable=False)
    at = Column(UTCDateTime, nullable=False)
