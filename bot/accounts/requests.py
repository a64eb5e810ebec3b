"""Account requests: rate limits first, then the gateway. One answer whatever the account.

Usage::

    requests = AccountRequests(limits, gateway, settings, clock)
    outcome = await requests.password_reset("JTREMBLAY01", "julie@exemple.ca", "fr",
                                            origin=("conversation", conversation_id))
    outcome.status      # "accepted" | "rate_limited" | "unavailable"

Used by the internal API (the assistant) and by the "forgot" forms on the login page, so
both meet the same checks. Nothing here looks the account up: the work, and so the
time taken, is the same for an existing account, a wrong pair or an unknown one.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal

from bot.accounts.gateway import (
    AccountGateway,
    GatewayRateLimited,
    GatewayUnavailable,
    ReminderRequest,
    ResetRequest,
)
from bot.accounts.identifiers import user_code_key
from bot.clock import Clock, system_clock
from bot.limits.database import Rule, SharedRateLimits
from bot.mail.addresses import mask_email, normalize_email
from bot.settings import Settings

__all__ = ["AccountRequests", "Outcome"]

log = logging.getLogger(__name__)

# Without an Idempotency-Key, the same request within this many seconds is a retry.
DEDUPE_SECONDS = 60

Origin = tuple[str, str]  # ("conversation", id) or ("client", address)


@dataclass(frozen=True)
class Outcome:
    """What to tell the requester; deliberately silent about the account."""

    status: Literal["accepted", "rate_limited", "unavailable"]
    retry_after_seconds: int | None = None


class AccountRequests:
    """The password-reset and user-code-reminder service."""

    def __init__(
        self,
        limits: SharedRateLimits,
        gateway: AccountGateway,
        settings: Settings,
        clock: Clock = system_clock,
    ) -> None:
        self._limits = limits
        self._gateway = gateway
        self._settings = settings
        self._clock = clock

    async def password_reset(
        self, user_code: str, email: str, language: str, origin: Origin, idempotency_key: str | None = None
    ) -> Outcome:
        code, address = user_code_key(user_code), normalize_email(email)
        s = self._settings
        rules = [
            # The pair, not the code alone: requests with someone's code and other
            # addresses send nothing, and must not use up that person's own resets.
            Rule("account", f"{code} {address}", s.account_mail_per_account, s.account_mail_window_seconds),
            *self._common_rules(address, origin),
        ]
        key = self._dedupe_key("reset", origin, (code, address), idempotency_key)
        log.info("password reset requested for %s (%s)", mask_email(address), origin[0])
        request = ResetRequest(user_code=code, email=address, language=language, dedupe_key=key)
        return await self._submit(rules, partial(self._gateway.request_password_reset, request))

    async def user_code_reminder(
        self, email: str, language: str, origin: Origin, idempotency_key: str | None = None
    ) -> Outcome:
        address = normalize_email(email)
        key = self._dedupe_key("reminder", origin, (address,), idempotency_key)
        log.info("user-code reminder requested for %s (%s)", mask_email(address), origin[0])
        request = ReminderRequest(email=address, language=language, dedupe_key=key)
        send = partial(self._gateway.send_user_code_reminder, request)
        return await self._submit(self._common_rules(address, origin), send)

    def _common_rules(self, address: str, origin: Origin) -> list[Rule]:
        s = self._settings
        # One budget per address for both kinds of mail: it protects the inbox.
        return [
            Rule("email", address, s.account_mail_per_email, s.account_mail_window_seconds),
            Rule(origin[0], origin[1], s.account_mail_per_conversation, s.account_mail_window_seconds),
        ]

    def _dedupe_key(
        self, kind: str, origin: Origin, values: tuple[str, ...], idempotency_key: str | None
    ) -> str:
        window = idempotency_key or str(int(self._clock().timestamp() // DEDUPE_SECONDS))
        parts = (kind, *origin, *values, window)
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()

    async def _submit(self, rules: list[Rule], send: Callable[[], Awaitable[None]]) -> Outcome:
        wait = await self._limits.hit(rules)
        if wait is not None:
            return Outcome("rate_limited", max(1, math.ceil(wait)))
        try:
            await send()
        except GatewayRateLimited as limited:
            return Outcome("rate_limited", limited.retry_after_seconds)
        except GatewayUnavailable as exc:
            log.warning("account gateway unavailable: %s", exc)
            return Outcome("unavailable")
        return Outcome("accepted")
