"""Settings come from GEM_* environment variables, once, with safe defaults."""

from __future__ import annotations

import dataclasses

import pytest

from bot.settings import PROJECT_ROOT, Settings, env_vars


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


# Values for fields whose value is checked; the others get one derived from their type.
VALID = {
    "host": ("127.0.0.2", "127.0.0.2"),
    "trusted_proxies": ("10.0.0.0/8, 192.168.1.2", ("10.0.0.0/8", "192.168.1.2")),
    "public_base_url": ("https://chat.example.org/", "https://chat.example.org"),
    "database_url": ("postgresql+asyncpg://hub@db/hub", "postgresql+asyncpg://hub@db/hub"),
    "allowed_origins": (
        "https://a.example.org/, https://b.example.org",
        ("https://a.example.org", "https://b.example.org"),
    ),
    "default_language": ("en", "en"),
    "socketio_payload_intents": ("hello, start=greet", ("hello", "start=greet")),
    "environment": ("development", "development"),
    "internal_host": ("10.1.2.3", "10.1.2.3"),
    "account_gateway": ("builtin", "builtin"),
    "platform_url": ("https://platform.example.org/api/", "https://platform.example.org/api"),
    "smtp_security": ("starttls", "starttls"),
    "triage_mode": ("shadow", "shadow"),
    "triage_threshold_fr": ("0.65", 0.65),
    "triage_threshold_en": ("0.7", 0.7),
    "imap_security": ("starttls", "starttls"),
    "link_secret": ("a-link-secret-of-24-chars", "a-link-secret-of-24-chars"),
    "review_confidence_threshold": ("0.5", 0.5),
    "nlu_data_dir": ("/srv/gem-books/nlu", "/srv/gem-books/nlu"),
    "redis_url": ("redis://:pw@redis:6379/0", "redis://:pw@redis:6379/0"),
}
CHOICES = [
    "environment",
    "account_gateway",
    "smtp_security",
    "triage_mode",
    "imap_security",
    "default_language",
]


def a_value_for(name: str, default: object) -> tuple[str, object]:
    if name in VALID:
        return VALID[name]
    if isinstance(default, bool):
        raise AssertionError(f"no test value for the flag {name}")
    if isinstance(default, int):
        return str(default + 7), default + 7
    if isinstance(default, float):
        return str(default + 0.5), default + 0.5
    if isinstance(default, tuple):
        return "first@example.org, second@example.org", ("first@example.org", "second@example.org")
    return f"value-of-{name}", f"value-of-{name}"


def test_every_field_can_be_set_from_its_environment_variable() -> None:
    defaults = Settings()
    variables = env_vars()
    assert len(variables) == len({f.name for f in dataclasses.fields(Settings) if f.init})
    assert len(set(variables.values())) == len(variables)  # one variable per field
    for name, var in variables.items():
        raw, expected = a_value_for(name, getattr(defaults, name))
        assert getattr(Settings.from_env({var: raw}), name) == expected, var


def test_the_variables_people_already_use_keep_their_names() -> None:
    variables = env_vars()
    assert (variables["host"], variables["port"]) == ("GEM_HUB_HOST", "GEM_HUB_PORT")
    assert variables["action_server_url"] == "GEM_ACTIONS_URL"
    assert variables["environment"] == "GEM_ENV"
    assert variables["outbox_poll_seconds"] == "GEM_OUTBOX_POLL_SECONDS"


def test_a_bad_value_names_its_variable() -> None:
    defaults = Settings()
    for name, var in env_vars().items():
        default = getattr(defaults, name)
        if isinstance(default, (int, float)) and not isinstance(default, bool):
            with pytest.raises(ValueError, match=f"^{var}='lots': expected a (whole )?number$"):
                Settings.from_env({var: "lots"})
    for name in CHOICES:
        var = env_vars()[name]
        with pytest.raises(ValueError, match=f"^{var}='nonsense': expected one of "):
            Settings.from_env({var: "nonsense"})


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


def test_the_redis_url_is_checked_without_showing_it() -> None:
    assert Settings().redis_url == ""  # one process, as ``make run``
    for good in ("redis://127.0.0.1:6379/0", "rediss://:s3cret@redis.internal:6380/2", "redis://redis"):
        assert Settings(redis_url=good).redis_url == good
    for bad in ("http://redis:6379", "127.0.0.1:6379", "redis://", "redis://:s3cret@host:port/0"):
        with pytest.raises(ValueError, match="^GEM_REDIS_URL: expected redis://") as caught:
            Settings.from_env({"GEM_REDIS_URL": bad})
        assert "s3cret" not in str(caught.value)
    assert "s3cret" not in repr(Settings(redis_url="redis://:s3cret@redis:6379/0"))


def test_the_banner_names_the_shared_redis_without_its_password() -> None:
    from bot.banner import banner

    text = banner(Settings(redis_url="redis://hub:s3cret@redis.internal:6379/0"))
    assert "redis://hub:***@redis.internal:6379/0" in text
    assert "s3cret" not in text
    assert "redis" not in banner(Settings())


def test_the_calls_at_once_to_rasa_are_at_least_one() -> None:
    assert Settings().upstream_connections == 8
    assert Settings.from_env({"GEM_UPSTREAM_CONNECTIONS": "16"}).upstream_connections == 16
    for bad in ("0", "-2"):
        with pytest.raises(ValueError, match="^GEM_UPSTREAM_CONNECTIONS=.*: expected at least 1"):
            Settings.from_env({"GEM_UPSTREAM_CONNECTIONS": bad})
    with pytest.raises(ValueError, match="^GEM_UPSTREAM_CONNECTIONS='many': expected a whole number"):
        Settings.from_env({"GEM_UPSTREAM_CONNECTIONS": "many"})


def test_the_database_pool_is_checked_and_reaches_the_postgresql_engine() -> None:
    for env in ({"GEM_DATABASE_POOL_SIZE": "0"}, {"GEM_DATABASE_MAX_OVERFLOW": "-1"}):
        with pytest.raises(ValueError, match="^GEM_DATABASE_POOL_SIZE=.* expected at least 1 and at least 0"):
            Settings.from_env(env)
    from bot.db.engine import create_engine

    settings = Settings.from_env(
        {
            "GEM_DATABASE_URL": "postgresql+asyncpg://gem:pw@127.0.0.1:1/hub",
            "GEM_DATABASE_POOL_SIZE": "7",
            "GEM_DATABASE_MAX_OVERFLOW": "3",
        }
    )
    pool = create_engine(settings).sync_engine.pool  # no connection is opened yet
    assert (pool.size(), pool._max_overflow) == (7, 3)  # type: ignore[attr-defined]
