"""Sliding-window rate limit per chat connection (floods). Limits shared between hub
processes (resume-code guessing, account mail, sign-in) are in the database:
:class:`bot.limits.database.SharedRateLimits`.

Usage::

    limiter = SlidingWindow(limit=20, window=10.0)
    if not limiter.allow():
        ...  # tell the person to slow down
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

__all__ = ["SlidingWindow"]

# Seconds from a monotonic clock (time.monotonic): a window in one process needs no date.
Seconds = Callable[[], float]


class SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds."""

    def __init__(self, limit: int, window: float, clock: Seconds = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self._events and now - self._events[0] >= self.window:
            self._events.popleft()

    def allow(self) -> bool:
        """Count one event if the window has room; False (and nothing counted) if not."""
        now = self._clock()
        self._prune(now)
        if len(self._events) >= self.limit:
            return False
        self._events.append(now)
        return True

    def is_empty(self) -> bool:
        self._prune(self._clock())
        return not self._events
