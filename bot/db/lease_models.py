"""The table of named leases: which hub does a one-at-a-time task (bot.jobs.Lease)."""

from __future__ import annotations

from sqlalchemy import Column, String

from bot.db.models import Base, UTCDateTime

__all__ = ["LeaseRow"]


class LeaseRow(Base):
    """One task that a single hub at a time may do (e.g. "imap-poller"), and who does it now."""

    __tablename__ = "leases"

    name = Column(String(64), primary_key=True)
    # A random token per process; the hub holding the lease renews it while it works.
    holder = Column(String(32), nullable=False)
    # Past this, the holder is presumed dead and another hub may take the task over.
    held_until = Column(UTCDateTime, nullable=False)
