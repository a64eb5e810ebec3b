"""The account gateway: the one interface the actions use to send account emails.

Actions never talk to accounts directly. They hand a request to an `AccountGateway`,
which answers only "accepted", "rate limited" or "unavailable": never whether the
account exists, so the reply to the person cannot reveal it (docs/SECURITY.md, no account
enumeration). The hub (or, behind it, the platform) decides whether mail goes out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, Protocol

from actions.hub_client import HubClient
from actions.settings import ActionSettings

__all__ = [
    "AccountGateway",
    "GatewayOutcome",
    "HubAccountGateway",
    "is_valid_email",
    "is_valid_user_code",
    "mask_email",
]

USER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,29}$")
EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)
EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def is_valid_user_code(value: str) -> bool:
    """3 to 30 letters, digits, dots, underscores or dashes, starting with a letter or digit."""
    return bool(USER_CODE.match(value))


def is_valid_email(value: str) -> bool:
    """A plausible address (RFC 5321 length limits, a dot in the domain)."""
    return len(value) <= 254 and bool(EMAIL.match(value)) and len(value.split("@")[0]) <= 64


def find_email(text: str) -> str | None:
    """The first email-looking address in a free-text answer."""
    match = EMAIL_IN_TEXT.search(text)
    return match.group(0).strip(".") if match else None


def mask_email(email: str) -> str:
    """Hide an address for replies, slots and logs: "marie@exemple.ca" -> "m***@exemple.ca"."""
    local, _, domain = email.partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


@dataclass(frozen=True)
class GatewayOutcome:
    """What the gateway did with a request; deliberately silent about the account."""

    status: Literal["accepted", "rate_limited", "unavailable"]
    retry_after_seconds: int | None = None


class AccountGateway(Protocol):
    """Sends the password-reset email and the user-code reminder."""

    async def request_password_reset(
        self,
        user_code: str,
        email: str,
        language: str,
        conversation_id: str,
        request_id: str | None = None,
    ) -> GatewayOutcome: ...

    async def send_user_code_reminder(
        self, email: str, language: str, conversation_id: str, request_id: str | None = None
    ) -> GatewayOutcome: ...


class HubAccountGateway:
    """The gateway behind the hub's internal API (`/internal/accounts/...`).

    The hub owns the account directory (or the platform's endpoint), the rate limits
    and the mail outbox; this client only forwards the request with the shared token.
    """

    def __init__(self, settings: ActionSettings) -> None:
        self._hub = HubClient(settings)

    async def request_password_reset(
        self,
        user_code: str,
        email: str,
        language: str,
        conversation_id: str,
        request_id: str | None = None,
    ) -> GatewayOutcome:
        return await self._post(
            "password-reset",
            {
                "user_code": user_code,
                "email": email,
                "language": language,
                "conversation_id": conversation_id,
            },
            request_id,
        )

    async def send_user_code_reminder(
        self, email: str, language: str, conversation_id: str, request_id: str | None = None
    ) -> GatewayOutcome:
        return await self._post(
            "user-code-reminder",
            {"email": email, "language": language, "conversation_id": conversation_id},
            request_id,
        )

    async def _post(self, endpoint: str, payload: dict[str, str], request_id: str | None) -> GatewayOutcome:
        answer = await self._hub.post(f"/internal/accounts/{endpoint}", payload, idempotency_key=request_id)
        if answer.ok:
            return GatewayOutcome("accepted")
        if answer.status == 429:
            return GatewayOutcome("rate_limited", answer.retry_after or 60)
        return GatewayOutcome("unavailable")
