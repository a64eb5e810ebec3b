"""Every Redis key and channel the hubs share, in one place.

Usage::

    keys.turn_lock(conversation_id)      # "gem:turn-lock:<digest>"
    keys.channel("widget")               # "gem:live:widget"

A conversation id is the person's key to their conversation (docs/ARCHITECTURE.md): it
never appears in Redis as such, only its digest, so that ``KEYS``/``MONITOR`` on the shared
server show no one's conversation key.
"""

from __future__ import annotations

import hashlib

__all__ = ["CONSOLES", "PREFIX", "channel", "digest", "satisfaction_due", "turn_lock"]

PREFIX = "gem:"
# Sorted set of the consoles open on every hub; score: when the entry expires (epoch s).
CONSOLES = f"{PREFIX}consoles"


def digest(value: str) -> str:
    """A stable, non-reversible stand-in for a conversation id or a session id."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def turn_lock(conversation_id: str) -> str:
    return f"{PREFIX}turn-lock:{digest(conversation_id)}"


def satisfaction_due(conversation_id: str) -> str:
    return f"{PREFIX}satisfaction-due:{digest(conversation_id)}"


def channel(topic: str) -> str:
    """The pub/sub channel of one kind of live event."""
    return f"{PREFIX}live:{topic}"
