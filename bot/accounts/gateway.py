"""The account gateway: where a reset or reminder request goes once it passed the limits.

Two implementations, chosen by ``GEM_ACCOUNT_GATEWAY``:

- ``builtin`` (:class:`BuiltinAccountGateway`): the hub's own account directory. The
  request becomes one outbox row; the worker later finds the account, mints the token
  and sends the mail (see :mod:`bot.accounts.emails`).
- ``http`` (:class:`bot.accounts.platform.PlatformAccountGateway`): the GEM-BOOKS
  platform's endpoints, which send their own mail.

A gateway never says whether the account exists: it returns normally, or raises
:class:`GatewayRateLimited` / :class:`GatewayUnavailable`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.accounts.emails import PASSWORD_RESET, USER_CODE_REMINDER
from bot.mail.outbox import Outbox

__all__ = [
    "AccountGateway",
    "BuiltinAccountGateway",
    "GatewayRateLimited",
    "GatewayUnavailable",
    "ReminderRequest",
    "ResetRequest",
]


@dataclass(frozen=True)
class ResetRequest:
    user_code: str
    email: str  # normalised
    language: str
    # Same value for the same logical request (a retry): it is sent once.
    dedupe_key: str


@dataclass(frozen=True)
class ReminderRequest:
    email: str  # normalised
    language: str
    dedupe_key: str


class GatewayUnavailable(Exception):
    """The request could not be passed on; the person is told to try another way."""


class GatewayRateLimited(Exception):
    """The platform itself refused for now."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(f"retry after {retry_after_seconds} s")
        self.retry_after_seconds = retry_after_seconds


class AccountGateway(Protocol):
    """Sends the password-reset email and the user-code reminder (when an account matches)."""

    async def request_password_reset(self, request: ResetRequest) -> None: ...

    async def send_user_code_reminder(self, request: ReminderRequest) -> None: ...


class BuiltinAccountGateway:
    """The embedded directory: queue the mail; the outbox worker decides if it goes out."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def request_password_reset(self, request: ResetRequest) -> None:
        params = {"user_code": request.user_code, "email": request.email, "language": request.language}
        await self._outbox.enqueue(request.dedupe_key, PASSWORD_RESET, params)

    async def send_user_code_reminder(self, request: ReminderRequest) -> None:
        params = {"email": request.email, "language": request.language}
        await self._outbox.enqueue(request.dedupe_key, USER_CODE_REMINDER, params)
