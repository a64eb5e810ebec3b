"""The hub's configuration: one frozen object, read from the environment once at start.

Usage::

    settings = Settings.from_env()          # in ``python -m bot`` only
    app = init_app(settings)                # everything else receives it

Nothing else in ``bot/`` reads ``os.environ``; tests build ``Settings(...)`` directly or
call ``dataclasses.replace`` on a default one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["PROJECT_ROOT", "Settings"]

PROJECT_ROOT = Path(__file__).absolute().parent.parent

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/gembooks.db"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost")


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything the hub needs to know about its surroundings."""

    host: str = "127.0.0.1"
    port: int = 8000
    # Where people reach the hub; used for the default allowed origin and printed at start.
    public_base_url: str = ""
    database_url: str = DEFAULT_DATABASE_URL
    rasa_url: str = "http://127.0.0.1:5005"
    # Rasa's HTTP API token (``rasa run --enable-api --auth-token ...``); empty = no auth.
    rasa_token: str = dataclasses.field(default="", repr=False)
    action_server_url: str = "http://127.0.0.1:5055"
    # Browser origins allowed to open the chat (WebSocket and socket.io). Never "*".
    allowed_origins: tuple[str, ...] = ()
    max_message_chars: int = 2000
    # Flood control, per connection: at most ``rate_limit_messages`` frames per window.
    rate_limit_messages: int = 20
    rate_limit_window_seconds: float = 10.0
    support_email: str = "soutien@gem-books.com"
    rasa_timeout_seconds: float = 20.0
    health_timeout_seconds: float = 3.0
    # A resume code lets a person whose browser storage was wiped get back to their
    # conversation; it stops working this long after the conversation's last activity.
    resume_code_ttl_days: int = 14
    # Failed resume attempts allowed per client address per window (guessing defence).
    resume_attempts_per_window: int = 10
    resume_attempts_window_seconds: float = 900.0
    default_language: str = "fr"

    def __post_init__(self) -> None:
        # Derived defaults: computed here so that ``Settings(port=...)`` in a test
        # stays coherent without repeating the derivation.
        if not self.public_base_url:
            object.__setattr__(self, "public_base_url", f"http://{self.host}:{self.port}")
        object.__setattr__(self, "public_base_url", self.public_base_url.rstrip("/"))
        if not self.allowed_origins:
            object.__setattr__(self, "allowed_origins", _default_origins(self.public_base_url))
        object.__setattr__(self, "database_url", _absolute_sqlite_url(self.database_url))
        if "*" in self.allowed_origins:
            raise ValueError("GEM_ALLOWED_ORIGINS must list origins; '*' is not allowed")
        if self.default_language not in ("fr", "en"):
            raise ValueError("default_language must be 'fr' or 'en'")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build the settings from ``GEM_*`` environment variables (``os.environ`` by default)."""
        if environ is None:
            import os

            environ = os.environ
        env = {key: value for key, value in environ.items() if value != ""}
        kwargs: dict[str, object] = {}
        for field_name, var, kind in _ENV_VARS:
            if var not in env:
                continue
            raw = env[var].strip()
            if kind is tuple:
                kwargs[field_name] = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
            else:
                try:
                    kwargs[field_name] = kind(raw)
                except ValueError as exc:
                    raise ValueError(f"{var}={raw!r}: {exc}") from None
        return cls(**kwargs)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


_ENV_VARS: tuple[tuple[str, str, type], ...] = (
    ("host", "GEM_HUB_HOST", str),
    ("port", "GEM_HUB_PORT", int),
    ("public_base_url", "GEM_PUBLIC_BASE_URL", str),
    ("database_url", "GEM_DATABASE_URL", str),
    ("rasa_url", "GEM_RASA_URL", str),
    ("rasa_token", "GEM_RASA_TOKEN", str),
    ("action_server_url", "GEM_ACTIONS_URL", str),
    ("allowed_origins", "GEM_ALLOWED_ORIGINS", tuple),
    ("max_message_chars", "GEM_MAX_MESSAGE_CHARS", int),
    ("rate_limit_messages", "GEM_RATE_LIMIT_MESSAGES", int),
    ("rate_limit_window_seconds", "GEM_RATE_LIMIT_WINDOW_SECONDS", float),
    ("support_email", "GEM_SUPPORT_EMAIL", str),
    ("rasa_timeout_seconds", "GEM_RASA_TIMEOUT_SECONDS", float),
    ("resume_code_ttl_days", "GEM_RESUME_CODE_TTL_DAYS", int),
    ("default_language", "GEM_DEFAULT_LANGUAGE", str),
)


def _default_origins(public_base_url: str) -> tuple[str, ...]:
    """The hub's own origin; on loopback, both spellings people type in a browser."""
    parts = urlsplit(public_base_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.hostname in _LOOPBACK_NAMES:
        port = f":{parts.port}" if parts.port else ""
        return tuple(f"{parts.scheme}://{name}{port}" for name in _LOOPBACK_NAMES)
    return (origin,)


def _absolute_sqlite_url(url: str) -> str:
    """Anchor a relative SQLite path at the project root, not at the current directory."""
    prefix, sep, path = url.partition(":///")
    if not prefix.startswith("sqlite") or not sep or not path or path.startswith("/"):
        return url
    if path == ":memory:" or path.startswith("file:"):
        return url
    return f"{prefix}:///{PROJECT_ROOT / path}"
