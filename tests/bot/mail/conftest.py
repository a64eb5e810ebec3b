"""Mail tests use the same fixtures as the account tests (real SMTP server, movable clock)."""

from tests.bot.accounts.conftest import clock, smtp

__all__ = ["clock", "smtp"]
