"""Settings of the action server, read once from the environment when first needed."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["ActionSettings", "get_settings"]


@dataclass(frozen=True)
class ActionSettings:
    """Where the actions send their side effects (the hub's internal API)."""

    hub_url: str = "http://127.0.0.1:8000"
    internal_token: str = ""
    timeout_seconds: float = 5.0
    support_email: str = "soutien@gem-books.com"

    @classmethod
    def from_env(cls) -> ActionSettings:
        return cls(
            hub_url=os.environ.get("GEM_HUB_URL", cls.hub_url).rstrip("/"),
            internal_token=os.environ.get("GEM_INTERNAL_TOKEN", cls.internal_token),
            timeout_seconds=float(os.environ.get("GEM_ACTIONS_TIMEOUT", cls.timeout_seconds)),
            support_email=os.environ.get("GEM_SUPPORT_EMAIL", cls.support_email),
        )


@lru_cache(maxsize=1)
def get_settings() -> ActionSettings:
    """The process-wide settings (cached: the environment is read once)."""
    return ActionSettings.from_env()
