"""Log a lost shared service once, and once again when it is back.

Usage::

    outage = Outage(log, "live bus: Redis unreachable, live frames stay on this hub")
    outage.down(exc)     # the first call logs a warning, the next ones nothing
    outage.up()          # logs "back" if it was down
"""

from __future__ import annotations

import logging

__all__ = ["Outage"]


class Outage:
    def __init__(self, log: logging.Logger, what: str) -> None:
        self._log = log
        self._what = what
        self.is_down = False

    def down(self, exc: BaseException) -> None:
        if not self.is_down:
            self.is_down = True
            self._log.warning("%s (%s: %s)", self._what, type(exc).__name__, exc)

    def up(self) -> None:
        if self.is_down:
            self.is_down = False
            self._log.warning("%s: Redis is back", self._what.partition(":")[0])
