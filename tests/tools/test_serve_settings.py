"""`make run` (tools/serve.py) reads the hub's Settings and prints the hub's one banner."""

from __future__ import annotations

import pytest

from bot.banner import StackUrls, banner
from bot.settings import Settings
from tools.serve import hub_settings


def test_the_stack_reads_the_hubs_settings_instead_of_its_own_defaults() -> None:
    settings, env = hub_settings({"GEM_HUB_PORT": "9100", "GEM_INTERNAL_PORT": "9101"}, "tok")
    assert (settings.port, settings.internal_port) == (9100, 9101)
    assert settings.is_development and settings.internal_token == "tok"
    assert (settings.triage_mode, settings.triage_smtp_port) == ("live", 2525)  # bot/settings.py's defaults
    assert env["GEM_ENV"] == "development" and env["GEM_INTERNAL_TOKEN"] == "tok"
    production, _ = hub_settings({"GEM_ENV": "production"}, "tok")
    assert not production.is_development


def test_a_bad_value_stops_the_stack_with_the_variables_name() -> None:
    with pytest.raises(ValueError, match="GEM_HUB_PORT"):
        hub_settings({"GEM_HUB_PORT": "eighty"}, "tok")


def test_one_banner_for_the_hub_alone_and_for_the_whole_stack() -> None:
    settings = Settings(environment="development", port=9100)
    alone = banner(settings)
    whole = banner(settings, stack=StackUrls("http://127.0.0.1:5005", "http://127.0.0.1:5055", "/tmp/logs"))
    for text in (alone, whole):
        assert "http://127.0.0.1:9100/demo" in text and "http://127.0.0.1:9100/dev/mail" in text
        assert "SMTP 127.0.0.1:2525" in text and "/console" in text
    assert "5005/webhooks/rest/webhook" in whole and "5005" not in alone
    production = banner(Settings(port=9100))
    assert "/dev/mail" not in production and "demo agent" not in production
