"""Fixtures for the handoff: the console's (real hub, real SMTP server, movable clock)."""

from __future__ import annotations

from tests.bot.accounts.conftest import clock, smtp
from tests.bot.console.conftest import console_hub, console_settings

__all__ = ["clock", "console_hub", "console_settings", "smtp"]
