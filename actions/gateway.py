"""Which account gateway the actions use, chosen once from the settings."""

from __future__ import annotations

from functools import lru_cache

from actions.accounts import AccountGateway, HubAccountGateway
from actions.settings import get_settings

__all__ = ["get_gateway"]


@lru_cache(maxsize=1)
def get_gateway() -> AccountGateway:
    """The process-wide gateway (the hub's internal API)."""
    return HubAccountGateway(get_settings())
