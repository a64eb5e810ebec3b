"""The hub's configuration: one frozen object, read from the environment once at start.

Usage::

    settings = Settings.from_env()          # in ``python -m bot`` only
    app = init_app(settings)                # everything else receives it

Nothing else in ``bot/`` reads ``os.environ``; tests build ``Settings(...)`` directly or
call ``dataclasses.replace`` on a default one. Each field is declared once, below: its
environment variable is ``GEM_<NAME>`` unless its metadata names another (:func:`env_vars`).
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

__all__ = ["PROJECT_ROOT", "Settings", "env_vars", "mask_password"]

PROJECT_ROOT = Path(__file__).absolute().parent.parent

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/gembooks.db"
_LOOPBACK_NAMES = ("127.0.0.1", "localhost")
_INTENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything the hub needs to know about its surroundings."""

    host: str = dataclasses.field(default="127.0.0.1", metadata={"env": "GEM_HUB_HOST"})
    port: int = dataclasses.field(default=8000, metadata={"env": "GEM_HUB_PORT"})
    # Reverse proxies (addresses or networks) whose X-Forwarded-For names the client
    # (bot.client_address). Empty: the TCP peer is the client.
    trusted_proxies: tuple[str, ...] = ()
    # Bearer token that shows /healthz's details (versions, model) to a non-loopback
    # caller; empty: details only to requests from this machine through no proxy.
    health_token: str = dataclasses.field(default="", repr=False)
    # Where people reach the hub; used for the default allowed origin and printed at start.
    public_base_url: str = ""
    database_url: str = DEFAULT_DATABASE_URL
    # Redis shared by several hub processes (redis:// or rediss://, password in the URL):
    # per-conversation turn locks, live frames between hubs, consoles online, "Did this
    # help?" due after a mail (bot/cluster/). Empty: one hub process, all of it in memory.
    redis_url: str = dataclasses.field(default="", repr=False)
    # How long a unit of work waits for another connection's write transaction (SQLite's
    # busy timeout, PostgreSQL's lock_timeout) before giving up (the person is then told
    # to try again).
    database_busy_timeout_seconds: float = 30.0
    # PostgreSQL: connections each hub keeps open, and how many more it may open at a peak.
    # Every hub's pool_size + max_overflow together must stay under the server's
    # max_connections (100 by default), with room for Rasa's tracker store.
    database_pool_size: int = 5
    database_max_overflow: int = 10
    rasa_url: str = "http://127.0.0.1:5005"
    # Rasa's HTTP API token (Rasa started by ``tools.rasa_server``, which reads the same
    # GEM_RASA_TOKEN: never on a command line); empty = no auth.
    rasa_token: str = dataclasses.field(default="", repr=False)
    action_server_url: str = dataclasses.field(
        default="http://127.0.0.1:5055", metadata={"env": "GEM_ACTIONS_URL"}
    )
    # Browser origins allowed to open the chat (WebSocket and socket.io). Never "*".
    allowed_origins: tuple[str, ...] = ()
    max_message_chars: int = 2000
    # Flood control, per connection: at most ``rate_limit_messages`` frames per window.
    rate_limit_messages: int = 20
    rate_limit_window_seconds: float = 10.0
    # Widget chats one client address (bot.client_address: IPv6 by /64) may hold open at
    # once, per hub process; more are refused with 429.
    max_chats_per_client: int = 20
    # New conversations one client address may open per window, counted in the shared
    # database limits (every hub process together); more get a "rate_limited" error.
    max_new_conversations_per_client: int = 120
    new_conversations_window_seconds: float = 3600.0
    support_email: str = "soutien@gem-books.com"
    rasa_timeout_seconds: float = 20.0
    health_timeout_seconds: float = 3.0
    # Calls at once from this hub process to each service it calls (Rasa, the action
    # server, the platform), on connections kept open; more wait their turn here, in
    # order. A Rasa server is busy with a handful of turns at once: more calls only queue
    # inside it, and a burst of new connections waits in its listen queue, accepted one
    # by one while it works (first messages waited 10-15 s at 50 people at once;
    # docs/SPEED.md). 8 per hub suits one Rasa server per hub; behind one address that
    # balances over several Rasa servers, 8 x servers / hubs.
    upstream_connections: int = 8
    # A resume code lets a person whose browser storage was wiped get back to their
    # conversation; it stops working this long after the conversation's last activity.
    resume_code_ttl_days: int = 14
    # Failed resume attempts allowed per client address per window (guessing defence).
    resume_attempts_per_window: int = 10
    resume_attempts_window_seconds: float = 900.0
    default_language: str = "fr"
    # socket.io channel only: "/intent" messages passed to Rasa as that intent (no
    # entities), for rasa-webchat's initPayload; "alias=intent" maps a name to an intent.
    socketio_payload_intents: tuple[str, ...] = ("greet", "get_started=greet")

    # "development" turns on the demo accounts and the mail sink (``make run`` sets it);
    # anything people rely on runs as "production".
    environment: str = dataclasses.field(default="production", metadata={"env": "GEM_ENV"})
    # Shared with the action server; it authenticates the internal API. Empty = refused.
    internal_token: str = dataclasses.field(default="", repr=False)
    # The internal API's own listener (bot.internal_listener): loopback or a private
    # network only, never the public port.
    internal_host: str = "127.0.0.1"
    internal_port: int = 8001

    # Accounts: "builtin" (the embedded directory) or "http" (the platform's endpoints).
    account_gateway: str = "builtin"
    platform_url: str = ""
    platform_token: str = dataclasses.field(default="", repr=False)
    platform_timeout_seconds: float = 5.0
    platform_retries: int = 2
    reset_token_minutes: int = 30
    # Account emails (reset and reminder) allowed per key per window: anti-flood for
    # inboxes, anti-guessing for the pairs.
    account_mail_per_account: int = 3
    account_mail_per_email: int = 3
    account_mail_per_conversation: int = 5
    account_mail_window_seconds: float = 3600.0
    login_attempts_per_window: int = 10
    login_attempts_window_seconds: float = 900.0

    # Outbound mail. Port 0 = the development mail sink's port.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 0
    smtp_security: str = "none"  # none | starttls | tls
    smtp_username: str = ""
    smtp_password: str = dataclasses.field(default="", repr=False)
    smtp_timeout_seconds: float = 10.0
    mail_from: str = "GEM-BOOKS <soutien@gem-books.com>"
    mail_sink_port: int = 8025
    outbox_poll_seconds: float = 2.0
    outbox_retry_initial_seconds: float = 5.0
    outbox_retry_max_seconds: float = 300.0

    # Agent console: a session unused for this long signs the agent out.
    agent_idle_minutes: int = 30
    # An open console re-checks its session this often and closes when it has ended.
    console_session_check_seconds: float = 30.0

    # Email triage of the support mailbox (bot/triage/).
    # "live" answers known problems by mail; "shadow" classifies and drafts, sends nothing
    # (every mail becomes a ticket with its draft); "off" stops intake.
    triage_mode: str = "live"
    # The SMTP listener the mail server delivers support mail to; port 0 = no listener.
    triage_smtp_host: str = "127.0.0.1"
    triage_smtp_port: int = 2525
    # Our own addresses besides support_email and mail_from (comma-separated): never answered.
    triage_own_addresses: tuple[str, ...] = ()
    # Minimum intent confidence for an automatic answer, per language.
    triage_threshold_fr: float = 0.80
    triage_threshold_en: float = 0.80
    # A mail bigger than this is quarantined (or refused with 552 by the SMTP listener).
    triage_max_bytes: int = 10 * 1024 * 1024
    # Automatic answers: at most this many per sender per window, and a global cap.
    triage_replies_per_sender: int = 1
    triage_replies_global: int = 200
    triage_reply_window_seconds: float = 3600.0
    triage_poll_seconds: float = 2.0
    # Where a person resets a password or recovers a user code; default: the hub's pages.
    password_reset_url: str = ""
    user_code_url: str = ""
    # IMAP poller; empty host = no poller. Handled mail gets the $GemTriaged keyword.
    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = "tls"  # none | starttls | tls
    imap_username: str = ""
    imap_password: str = dataclasses.field(default="", repr=False)
    imap_mailbox: str = "INBOX"
    imap_interval_seconds: float = 60.0

    # Satisfaction and what to teach next (bot/satisfaction, bot/console/review.py).
    # Key of the signed "this solved it" / "I still need help" links in automatic mail
    # answers; empty: a random one the hub keeps in its database (table hub_secrets).
    link_secret: str = dataclasses.field(default="", repr=False)
    # Those links work this many days after the mail was sent, once.
    feedback_link_days: int = 14
    # The review page lists people's messages the assistant understood below this confidence.
    review_confidence_threshold: float = 0.6
    # The NLU training files the review page compares reviewed examples with.
    nlu_data_dir: str = "data/nlu"

    # Derived from trusted_proxies.
    trusted_proxy_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = dataclasses.field(
        init=False, repr=False, compare=False, default=()
    )

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
        _check_redis_url(self.redis_url)
        _check_choice("GEM_DEFAULT_LANGUAGE", self.default_language, ("fr", "en"))
        self.socketio_intent_payloads  # noqa: B018 -- fails now on a malformed list
        if not self.smtp_port:
            object.__setattr__(self, "smtp_port", self.mail_sink_port)
        _check_choice("GEM_ENV", self.environment, ("development", "production"))
        if self.is_development and not _is_loopback_host(self.host):
            # /dev/mail shows every mail with live reset links, without signing in.
            raise ValueError(
                f"GEM_ENV=development must bind a loopback address (127.0.0.1, ::1, localhost), "
                f"not GEM_HUB_HOST={self.host!r}: its /dev/mail page shows reset links to anyone"
            )
        if not _is_internal_host(self.internal_host):
            raise ValueError(
                f"GEM_INTERNAL_HOST={self.internal_host!r}: the internal API listens on loopback "
                "or a private network address only"
            )
        try:
            networks = tuple(ipaddress.ip_network(entry, strict=False) for entry in self.trusted_proxies)
        except ValueError as exc:
            raise ValueError(f"GEM_TRUSTED_PROXIES: {exc}") from None
        object.__setattr__(self, "trusted_proxy_networks", networks)
        _check_choice("GEM_ACCOUNT_GATEWAY", self.account_gateway, ("builtin", "http"))
        _check_choice("GEM_SMTP_SECURITY", self.smtp_security, ("none", "starttls", "tls"))
        if self.account_gateway == "http" and not self.platform_url:
            raise ValueError("GEM_ACCOUNT_GATEWAY=http needs GEM_PLATFORM_URL")
        object.__setattr__(self, "platform_url", self.platform_url.rstrip("/"))
        _check_choice("GEM_TRIAGE_MODE", self.triage_mode, ("live", "shadow", "off"))
        _check_choice("GEM_IMAP_SECURITY", self.imap_security, ("none", "starttls", "tls"))
        for var, value in (
            ("GEM_TRIAGE_THRESHOLD_FR", self.triage_threshold_fr),
            ("GEM_TRIAGE_THRESHOLD_EN", self.triage_threshold_en),
        ):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{var}={value!r}: expected a number between 0 and 1")
        if not 0.0 <= self.review_confidence_threshold <= 1.0:
            raise ValueError(
                f"GEM_REVIEW_CONFIDENCE_THRESHOLD={self.review_confidence_threshold!r}: expected a number between 0 and 1"
            )
        if self.link_secret and len(self.link_secret) < 16:
            raise ValueError(
                "GEM_LINK_SECRET: at least 16 characters (e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        if self.database_pool_size < 1 or self.database_max_overflow < 0:
            raise ValueError(
                f"GEM_DATABASE_POOL_SIZE={self.database_pool_size!r} / GEM_DATABASE_MAX_OVERFLOW="
                f"{self.database_max_overflow!r}: expected at least 1 and at least 0"
            )
        if self.upstream_connections < 1:
            raise ValueError(f"GEM_UPSTREAM_CONNECTIONS={self.upstream_connections!r}: expected at least 1")
        if self.feedback_link_days < 1:
            raise ValueError(f"GEM_FEEDBACK_LINK_DAYS={self.feedback_link_days!r}: expected at least 1")
        if not Path(self.nlu_data_dir).is_absolute():
            object.__setattr__(self, "nlu_data_dir", str(PROJECT_ROOT / self.nlu_data_dir))
        if not self.password_reset_url:
            object.__setattr__(self, "password_reset_url", f"{self.public_base_url}/forgot-password")
        if not self.user_code_url:
            object.__setattr__(self, "user_code_url", f"{self.public_base_url}/forgot-user-code")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build the settings from ``GEM_*`` environment variables (``os.environ`` by default).

        Every field can be set: its variable is ``GEM_`` and the field's name in capitals,
        or the ``env`` of its metadata (``host``: ``GEM_HUB_HOST``); see :func:`env_vars`.
        Comma-separated lists for tuples. A value of the wrong kind raises ValueError
        naming the variable.
        """
        if environ is None:
            import os

            environ = os.environ
        kwargs: dict[str, object] = {}
        for name, var in env_vars().items():
            raw = environ.get(var, "").strip()
            if raw:
                kwargs[name] = _parse(var, raw, _field_types()[name])
        return cls(**kwargs)  # type: ignore[arg-type]

    @property
    def socketio_intent_payloads(self) -> dict[str, str]:
        """``socketio_payload_intents`` as {name sent: intent}: {"greet": "greet", "get_started": "greet"}."""
        payloads = {}
        for entry in self.socketio_payload_intents:
            name, _, intent = entry.partition("=")
            name, intent = name.strip(), (intent or name).strip()
            if not (_INTENT_NAME.fullmatch(name) and _INTENT_NAME.fullmatch(intent)):
                raise ValueError(f"GEM_SOCKETIO_PAYLOAD_INTENTS: {entry!r}: expected intent or alias=intent")
            payloads[name] = intent
        return payloads

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def own_addresses(self) -> frozenset[str]:
        """Our own mail addresses (lower case): mail from them is never answered."""
        from email.utils import getaddresses

        found = {address.lower() for _, address in getaddresses([self.support_email, self.mail_from])}
        found.update(address.lower() for address in self.triage_own_addresses)
        return frozenset(address for address in found if "@" in address)

    @property
    def is_development(self) -> bool:
        """Demo accounts and the mail sink exist only in development."""
        return self.environment == "development"


def env_vars() -> dict[str, str]:
    """Each settable field of :class:`Settings` and its environment variable, in declaration order."""
    return {
        field.name: field.metadata.get("env", f"GEM_{field.name.upper()}")
        for field in dataclasses.fields(Settings)
        if field.init
    }


@functools.lru_cache(maxsize=1)
def _field_types() -> dict[str, Any]:
    return typing.get_type_hints(Settings)


def _parse(var: str, raw: str, kind: Any) -> object:
    if typing.get_origin(kind) is tuple:
        return tuple(item.strip().rstrip("/") for item in raw.split(",") if item.strip())
    if kind is str:
        return raw
    try:
        return kind(raw)
    except ValueError:
        expected = {int: "a whole number", float: "a number"}.get(kind, kind.__name__)
        raise ValueError(f"{var}={raw!r}: expected {expected}") from None


def _check_choice(var: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{var}={value!r}: expected one of {', '.join(choices)}")


def _check_redis_url(url: str) -> None:
    if not url:
        return
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("redis", "rediss") or not parts.hostname:
        # The URL may carry a password: name the variable, never echo the value.
        raise ValueError("GEM_REDIS_URL: expected redis://[:password@]host[:port][/db] or rediss://...")


def mask_password(url: str) -> str:
    """``url`` with its password replaced by ``***`` (for banners and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


def _is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # "" (every interface), or a host name that may resolve anywhere


def _is_internal_host(host: str) -> bool:
    if _is_loopback_host(host):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return address.is_private and not address.is_unspecified


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
