"""The HTTP account gateway: the GEM-BOOKS platform's own reset and reminder endpoints.

Configured with ``GEM_ACCOUNT_GATEWAY=http``, ``GEM_PLATFORM_URL`` and
``GEM_PLATFORM_TOKEN``. The hub then keeps its rate limits but sends no account mail
itself: it calls

- ``POST {GEM_PLATFORM_URL}/password-reset``      ``{"user_code", "email", "language"}``
- ``POST {GEM_PLATFORM_URL}/user-code-reminder``  ``{"email", "language"}``

with ``Authorization: Bearer <token>`` and an ``Idempotency-Key``. A 2xx is success; 404
and 422 ("no such account") count as success too, so the person hears the same thing
either way; 429 is passed on with its ``Retry-After``; 5xx, timeouts and connection
errors are retried; anything else (400, 401, 403...) means "unavailable".

``GEM_PLATFORM_TIMEOUT_SECONDS`` bounds the whole call, retries included: the assistant
waits 5 s for the hub, and its answer must not come after the hub's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp

from bot.accounts.gateway import GatewayRateLimited, GatewayUnavailable, ReminderRequest, ResetRequest
from bot.settings import Settings

__all__ = ["PlatformAccountGateway"]

log = logging.getLogger(__name__)

_TREATED_AS_DONE = (404, 422)
_FIRST_BACKOFF_SECONDS = 0.2


class PlatformAccountGateway:
    """Calls the platform with timeouts and retries."""

    def __init__(self, http: aiohttp.ClientSession, settings: Settings) -> None:
        self._http = http
        self._settings = settings

    async def request_password_reset(self, request: ResetRequest) -> None:
        payload = {"user_code": request.user_code, "email": request.email, "language": request.language}
        await self._post("password-reset", payload, request.dedupe_key)

    async def send_user_code_reminder(self, request: ReminderRequest) -> None:
        payload = {"email": request.email, "language": request.language}
        await self._post("user-code-reminder", payload, request.dedupe_key)

    async def _post(self, endpoint: str, payload: dict[str, Any], dedupe_key: str) -> None:
        url = f"{self._settings.platform_url}/{endpoint}"
        headers = {"Idempotency-Key": dedupe_key}
        if self._settings.platform_token:
            headers["Authorization"] = f"Bearer {self._settings.platform_token}"
        attempts = self._settings.platform_retries + 1
        deadline = time.monotonic() + self._settings.platform_timeout_seconds
        last_problem = "no attempt"
        for attempt in range(attempts):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            # Share what is left between the attempts still allowed.
            timeout = aiohttp.ClientTimeout(total=remaining / (attempts - attempt))
            try:
                async with self._http.post(url, json=payload, headers=headers, timeout=timeout) as response:
                    status = response.status
                    if 200 <= status < 300 or status in _TREATED_AS_DONE:
                        return
                    if status == 429:
                        raise GatewayRateLimited(_retry_after(response.headers.get("Retry-After")))
                    if status < 500:
                        log.error("platform %s: HTTP %s (check GEM_PLATFORM_URL/TOKEN)", endpoint, status)
                        raise GatewayUnavailable(f"platform answered HTTP {status}")
                    last_problem = f"HTTP {status}"
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                last_problem = type(exc).__name__
            log.warning(
                "platform %s: attempt %s/%s failed: %s", endpoint, attempt + 1, attempts, last_problem
            )
            if attempt + 1 < attempts:
                pause = min(_FIRST_BACKOFF_SECONDS * 2**attempt, max(0.0, deadline - time.monotonic()))
                await asyncio.sleep(pause)
        raise GatewayUnavailable(f"platform {endpoint}: {last_problem}")


def _retry_after(value: str | None) -> int:
    try:
        return max(1, int(value or "60"))
    except ValueError:
        return 60
