"""Sliding-window rate limits: per chat connection (floods) and per key (guessing).

Usage::

    limiter = SlidingWindow(limit=20, window=10.0)
    if not limiter.allow():
        ...  # tell the person to slow down

    attempts = KeyedSlidingWindow(limit=10, window=900.0)
    if attempts.exhausted(ip): ...
    attempts.record(ip)
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

__all__ = ["KeyedSlidingWindow", "SlidingWindow"]

Clock = Callable[[], float]


class SlidingWindow:
    """At most ``limit`` events in any ``window`` seconds."""

    def __init__(self, limit: int, window: float, clock: Clock = time.monotonic) -> None:
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


class KeyedSlidingWindow:
    """One :class:`SlidingWindow` per key (e.g. client address), forgotten when idle."""

    def __init__(self, limit: int, window: float, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._windows: dict[str, SlidingWindow] = {}

    def exhausted(self, key: str) -> bool:
        """True when ``key`` has used up its attempts (does not count one)."""
        window = self._windows.get(key)
        if window is None:
            return False
        window._prune(self._clock())
        return len(window._events) >= self.limit

    def record(self, key: str) -> None:
        """Count one attempt for ``key``."""
        self._forget_idle()
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = SlidingWindow(self.limit, self.window, self._clock)
        window.allow()

    def _forget_idle(self) -> None:
        # Bounded memory: drop keys whose window has emptied (cheap at this scale).
        if len(self._windows) > 1000:
            for key in [k for k, w in self._windows.items() if w.is_empty()]:
                del self._windows[key]
