"""The hub's main flows with its database on PostgreSQL (the scaled-out set-up).

The flows are the existing tests, collected here a second time with ``database_url`` on
the session's private PostgreSQL (tests.bot.databases): a chat turn with the fake Rasa
and the funnel columns it writes, a handoff from the chat to a mailed ticket, an
escalation retried by the action server, a password reset from mail to new login, and
the dashboard's SQL aggregates against a plain Python count of generated traffic.
Every store-level test already runs on both databases through the ``engine`` fixture.
"""

from __future__ import annotations

import pytest

from bot.settings import Settings
from tests.bot.accounts.conftest import (
    account_settings,
    accounts_hub,
    clock,
    quick_argon2,
    smtp,
)
from tests.bot.accounts.test_reset_flow import (
    test_reset_email_link_new_password_login_then_the_link_is_dead,
)
from tests.bot.chat.test_relay import (
    test_a_message_goes_to_rasa_with_language_and_user_agent,
    test_the_funnel_columns_follow_the_trackers_steps,
)
from tests.bot.console.conftest import console_hub, console_settings
from tests.bot.console.test_dashboard import test_the_figures_match_a_plain_count_of_generated_traffic
from tests.bot.console.test_handoff_api import (
    test_a_retried_escalation_opens_one_handoff_and_mails_support_once,
)
from tests.bot.handoff.conftest import hub_with_fake_assistant
from tests.bot.handoff.test_waiting_for_support import (
    hub,
    test_each_message_is_kept_the_address_asked_once_then_confirmed_and_mailed,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.database_backends("postgresql")]

__all__ = [
    "account_settings",
    "accounts_hub",
    "clock",
    "console_hub",
    "console_settings",
    "hub",
    "hub_with_fake_assistant",
    "quick_argon2",
    "smtp",
    "test_a_message_goes_to_rasa_with_language_and_user_agent",
    "test_a_retried_escalation_opens_one_handoff_and_mails_support_once",
    "test_each_message_is_kept_the_address_asked_once_then_confirmed_and_mailed",
    "test_reset_email_link_new_password_login_then_the_link_is_dead",
    "test_the_figures_match_a_plain_count_of_generated_traffic",
    "test_the_funnel_columns_follow_the_trackers_steps",
]


def test_the_flows_above_really_run_on_postgresql(settings: Settings) -> None:
    assert settings.database_url.startswith("postgresql+asyncpg://")
