"""Fixtures for the handoff: the console's (real hub, real SMTP server, movable clock), and
the hub with a fake Rasa that the handoff tests drive through the widget."""

from __future__ import annotations

import dataclasses

import pytest_asyncio
from aiohttp.test_utils import TestClient

from bot.app import init_app
from bot.settings import Settings
from tests.bot.accounts.conftest import MovableClock, clock, smtp
from tests.bot.conftest import ClientFactory
from tests.bot.console.conftest import console_hub, console_settings
from tests.bot.fake_rasa import FakeRasa

__all__ = ["clock", "console_hub", "console_settings", "hub_with_fake_assistant", "smtp"]


@pytest_asyncio.fixture
async def hub_with_fake_assistant(
    aiohttp_client: ClientFactory,
    console_settings: Settings,
    fake_rasa: tuple[FakeRasa, str],
    clock: MovableClock,
) -> TestClient:
    """The real hub (console settings, SMTP to ``smtp``) in front of ``fake_rasa``."""
    _, url = fake_rasa
    settings = dataclasses.replace(console_settings, rasa_url=url, action_server_url=url)
    return await aiohttp_client(init_app(settings, clock=clock))
