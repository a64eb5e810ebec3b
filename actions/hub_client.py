"""The action server's one client for the hub's internal API (``/internal/...``).

Usage::

    hub = HubClient(get_settings())
    answer = await hub.post("/internal/handoffs", packet)
    if answer.ok: ...answer.body...
    elif answer.status == 429: ...answer.retry_after...
    # answer.status == 0: the hub could not be reached (or answered no JSON object)

It adds the shared token (``GEM_INTERNAL_TOKEN``), the timeout (``GEM_ACTIONS_TIMEOUT``)
and, when given, an ``Idempotency-Key``; it reads the hub's one error shape
(``{"error": code, "message": ..., ...}``, bot/internal_api.py). It never raises for a
hub that is down or slow: the actions then answer the person with what they can.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import aiohttp

from actions.settings import ActionSettings

__all__ = ["HubAnswer", "HubClient"]


@dataclasses.dataclass(frozen=True)
class HubAnswer:
    """The hub's answer: HTTP status (0 when unreachable), the JSON object, ``Retry-After``."""

    status: int
    body: dict[str, Any]
    retry_after: int | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error(self) -> str | None:
        """The error code of a refusal ("unauthorized", "rate_limited", ...), or None."""
        if self.ok:
            return None
        return str(self.body.get("error") or "unreachable")


class HubClient:
    def __init__(self, settings: ActionSettings) -> None:
        self._settings = settings

    async def post(
        self, path: str, payload: dict[str, Any], *, idempotency_key: str | None = None
    ) -> HubAnswer:
        url = f"{self._settings.hub_url}{path}"
        headers = {"Authorization": f"Bearer {self._settings.internal_token}"}
        if idempotency_key:
            # Rasa retries an action whose call timed out: the hub then does the work once.
            headers["Idempotency-Key"] = idempotency_key
        timeout = aiohttp.ClientTimeout(total=self._settings.timeout_seconds)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.post(url, json=payload, headers=headers) as response,
            ):
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
                retry_after = _retry_after(response) if response.status == 429 else None
                if not isinstance(body, dict):
                    # Not the hub's API (a proxy's page...): as good as unreachable.
                    return HubAnswer(0, {}, retry_after)
                return HubAnswer(response.status, body, retry_after)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return HubAnswer(0, {})


def _retry_after(response: aiohttp.ClientResponse) -> int:
    try:
        return max(1, int(response.headers.get("Retry-After", "60")))
    except ValueError:
        return 60
