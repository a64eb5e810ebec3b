"""The hub's notion of "now", injectable so that tests can move time forward.

Usage::

    app = init_app(settings, clock=lambda: utcnow() + dt.timedelta(minutes=31))

Token expiry, rate-limit windows and outbox retries all read the same clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.db.models import utcnow

__all__ = ["Clock", "system_clock"]

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The real time, timezone-aware UTC."""
    return utcnow()
