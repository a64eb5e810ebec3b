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


def test_account_and_mail_defaults_are_safe() -> None:
    settings = Settings.from_env({})
    assert settings.environment == "production" and not settings.is_development
    assert settings.internal_token == ""  # the internal API refuses everyone until it is set
    assert settings.account_gateway == "builtin"
    assert settings.reset_token_minutes == 30
    assert (settings.smtp_host, settings.smtp_port) == ("127.0.0.1", 8025)  # the dev sink
    assert settings.mail_from == "GEM-BOOKS <soutien@gem-books.com>"


def test_account_and_mail_overrides_keep_secrets_out_of_repr() -> None:
    settings = Settings.from_env(
        {
            "GEM_ENV": "development",
            "GEM_INTERNAL_TOKEN": "internal-s3cret",
            "GEM_ACCOUNT_GATEWAY": "http",
            "GEM_PLATFORM_URL": "https://platform.example/api/",
            "GEM_PLATFORM_TOKEN": "platform-s3cret",
            "GEM_RESET_TOKEN_MINUTES": "15",
            "GEM_SMTP_HOST": "smtp.example",
            "GEM_SMTP_PORT": "587",
            "GEM_SMTP_SECURITY": "starttls",
            "GEM_SMTP_PASSWORD": "smtp-s3cret",
            "GEM_MAIL_SINK_PORT": "2525",
        }
    )
    assert settings.is_development
    assert settings.platform_url == "https://platform.example/api"
    assert (settings.smtp_host, settings.smtp_port, settings.smtp_security) == (
        "smtp.example",
        587,
        "starttls",
    )
    assert settings.reset_token_minutes == 15
    assert not any(
        secret in repr(settings) for secret in ("internal-s3cret", "platform-s3cret", "smtp-s3cret")
    )


def test_the_smtp_port_follows_the_sink_port_unless_set() -> None:
    assert Settings.from_env({"GEM_MAIL_SINK_PORT": "2525"}).smtp_port == 2525


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"GEM_ENV": "staging"}, "GEM_ENV"),
        ({"GEM_ACCOUNT_GATEWAY": "ldap"}, "GEM_ACCOUNT_GATEWAY"),
        ({"GEM_SMTP_SECURITY": "ssl"}, "GEM_SMTP_SECURITY"),
        ({"GEM_ACCOUNT_GATEWAY": "http"}, "GEM_PLATFORM_URL"),
    ],
)
def test_bad_account_or_mail_settings_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ValueError, match=variable):
        Settings.from_env(env)


def test_the_socketio_payload_intents_are_intents_of_the_assistant_and_documented() -> None:
    import yaml

    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    payloads = Settings().socketio_intent_payloads
    assert payloads == {"greet": "greet", "get_started": "greet"}
    assert set(payloads.values()) <= set(domain["intents"])
    assert "GEM_SOCKETIO_PAYLOAD_INTENTS" in (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")


def test_satisfaction_settings_are_checked_and_the_link_secret_stays_out_of_repr() -> None:
    settings = Settings.from_env(
        {"GEM_LINK_SECRET": "s3cret-link-key-0123456789", "GEM_REVIEW_CONFIDENCE_THRESHOLD": "0.5"}
    )
    assert settings.review_confidence_threshold == 0.5
    assert "s3cret" not in repr(settings)
    assert settings.nlu_data_dir.endswith("data/nlu") and settings.nlu_data_dir.startswith("/")
    for env, variable in (
        ({"GEM_LINK_SECRET": "short"}, "GEM_LINK_SECRET"),
        ({"GEM_REVIEW_CONFIDENCE_THRESHOLD": "1.5"}, "GEM_REVIEW_CONFIDENCE_THRESHOLD"),
        ({"GEM_FEEDBACK_LINK_DAYS": "0"}, "GEM_FEEDBACK_LINK_DAYS"),
    ):
        with pytest.raises(ValueError, match=variable):
            Settings.from_env(env)
