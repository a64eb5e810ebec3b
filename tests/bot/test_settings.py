"""Settings come from GEM_* environment variables, once, with safe defaults."""

from __future__ import annotations

import pytest

from bot.settings import PROJECT_ROOT, Settings


def test_defaults() -> None:
    settings = Settings.from_env({})
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.public_base_url == "http://127.0.0.1:8000"
    assert settings.database_url == f"sqlite+aiosqlite:///{PROJECT_ROOT / 'var/gembooks.db'}"
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.action_server_url == "http://127.0.0.1:5055"
    assert settings.allowed_origins == ("http://127.0.0.1:8000", "http://localhost:8000")
    assert settings.max_message_chars == 2000
    assert settings.support_email == "soutien@gem-books.com"


def test_environment_overrides() -> None:
    settings = Settings.from_env(
        {
            "GEM_HUB_HOST": "0.0.0.0",
            "GEM_HUB_PORT": "9000",
            "GEM_PUBLIC_BASE_URL": "https://chat.gem-books.com/",
            "GEM_DATABASE_URL": "postgresql+asyncpg://hub@db/hub",
            "GEM_RASA_URL": "http://10.0.0.5:5005",
            "GEM_RASA_TOKEN": "s3cret",
            "GEM_ACTIONS_URL": "http://10.0.0.6:5055",
            "GEM_ALLOWED_ORIGINS": "https://www.gem-books.com, https://gem-books.com/",
            "GEM_RASA_TIMEOUT_SECONDS": "7.5",
        }
    )
    assert settings.port == 9000
    assert settings.public_base_url == "https://chat.gem-books.com"
    assert settings.database_url == "postgresql+asyncpg://hub@db/hub"
    assert settings.allowed_origins == ("https://www.gem-books.com", "https://gem-books.com")
    assert settings.rasa_timeout_seconds == 7.5
    assert "s3cret" not in repr(settings)


def test_the_default_origin_is_the_public_one() -> None:
    settings = Settings.from_env({"GEM_PUBLIC_BASE_URL": "https://chat.gem-books.com"})
    assert settings.allowed_origins == ("https://chat.gem-books.com",)


def test_a_wildcard_origin_is_refused() -> None:
    with pytest.raises(ValueError, match="'\\*'"):
        Settings.from_env({"GEM_ALLOWED_ORIGINS": "*"})


def test_a_bad_number_names_the_variable() -> None:
    with pytest.raises(ValueError, match="GEM_HUB_PORT"):
        Settings.from_env({"GEM_HUB_PORT": "eighty"})
