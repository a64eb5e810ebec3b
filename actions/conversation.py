"""What the actions read from a conversation: its language, its browser, its last intent."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

__all__ = [
    "DEFAULT_LANGUAGE",
    "browser_from_user_agent",
    "language_of",
    "latest_intent",
    "latest_text",
    "normalise_language",
    "request_id",
]

# GEM-BOOKS is French-first: French until the person shows otherwise.
DEFAULT_LANGUAGE = "fr"


def normalise_language(value: Any) -> str | None:
    """Map "fr", "fr-CA", "en_US"… to "fr" or "en"; anything else to None."""
    if not isinstance(value, str):
        return None
    primary = value.strip().lower().replace("_", "-").split("-")[0]
    return primary if primary in ("fr", "en") else None


def language_of(tracker: Tracker) -> str:
    """The conversation's language: the `language` slot, else French."""
    return normalise_language(tracker.get_slot("language")) or DEFAULT_LANGUAGE


def latest_intent(tracker: Tracker) -> str | None:
    """Name of the intent of the person's latest message, if any."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name")
    return str(name) if name else None


def latest_text(tracker: Tracker) -> str:
    """The text of the person's latest message ("" if none)."""
    return str((tracker.latest_message or {}).get("text") or "")


def request_id(tracker: Tracker) -> str:
    """Identifies the person's latest message, so a retried action repeats no side effect."""
    message_id = (tracker.latest_message or {}).get("message_id") or ""
    return f"{tracker.sender_id}:{message_id}" if message_id else ""


def browser_from_user_agent(user_agent: Any) -> str | None:
    """The `browser` slot value for a User-Agent string, or None when unknown.

    Order matters: Edge and Opera also say "Chrome", and Chrome also says "Safari".

    >>> browser_from_user_agent("Mozilla/5.0 (Windows NT 10.0) Chrome/120.0 Safari/537.36 Edg/120.0")
    'edge'
    """
    if not isinstance(user_agent, str) or not user_agent:
        return None
    ua = user_agent
    if "Edg/" in ua or "Edge/" in ua or "EdgA/" in ua or "EdgiOS/" in ua:
        return "edge"
    if "OPR/" in ua or "Opera" in ua:
        return "opera"
    if "Firefox/" in ua or "FxiOS/" in ua:
        return "firefox"
    if "Trident/" in ua or "MSIE " in ua:
        return "internet_explorer"
    if "Chrome/" in ua or "CriOS/" in ua or "Chromium/" in ua:
        return "chrome"
    if "Safari/" in ua:
        return "safari"
    return "other"
