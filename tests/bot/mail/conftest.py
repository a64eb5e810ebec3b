"""Mail tests use the same fixtures as the account tests (real SMTP server, movable clock)."""

from tests.bot.accounts.conftest import clock, quick_argon2, smtp

__all__ = ["clock", "quick_argon2", "smtp"]
