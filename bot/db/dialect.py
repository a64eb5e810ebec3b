"""What SQLite and PostgreSQL do differently, in one place for the stores that need it.

Usage::

    def count(session):                                   # a synchronous ORM session
        serialize_on(session, [rule.key for rule in rules])   # count-then-decide safely
        ...

SQLite runs one write transaction at a time, so "write, then count what is there" cannot
interleave with another process doing the same. PostgreSQL at READ COMMITTED lets two
transactions each count before seeing the other's uncommitted row: both would take the
last slot of a rate limit. A transaction-level advisory lock per key makes them queue,
and is released at commit or rollback.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.orm import Session

__all__ = ["advisory_key", "serialize_on"]


def advisory_key(name: str) -> int:
    """A stable signed 64-bit number for ``name`` (PostgreSQL's advisory lock id)."""
    return int.from_bytes(hashlib.sha256(name.encode("utf-8")).digest()[:8], "big", signed=True)


def serialize_on(session: Session, names: Iterable[str]) -> None:
    """Until this transaction ends, other transactions naming any of ``names`` here wait."""
    if session.bind is None or session.bind.dialect.name != "postgresql":
        return  # SQLite: the write transaction already runs alone
    # Always in the same order, so two transactions locking overlapping sets cannot deadlock.
    for key in sorted({advisory_key(name) for name in names}):
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
