"""Email addresses: their shape, their comparison form, and how they are masked.

The hub checks addresses again after the assistant (``actions/accounts.py``) because the
internal API, the pages and the mail intake are reachable without it. What agents see of
an address is masked (docs/SECURITY.md).

>>> mask_email("marie.gagnon@exemple.ca")
'm***@exemple.ca'
>>> normalize_email("  Marie@Exemple.CA ")
'marie@exemple.ca'
"""

from __future__ import annotations

import re

__all__ = [
    "find_email",
    "is_valid_email",
    "mask_email",
    "mask_emails_in",
    "normalize_email",
]

_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$"
)


def is_valid_email(value: str) -> bool:
    """A plausible address (RFC 5321 length limits, a dot in the domain)."""
    return len(value) <= 254 and bool(_EMAIL.match(value)) and len(value.split("@")[0]) <= 64


def normalize_email(value: str) -> str:
    """Addresses are compared lower-cased (every provider GEM-BOOKS sees ignores case)."""
    return value.strip().lower()


def mask_email(email: str) -> str:
    """What logs and pages may show of an address: its first letter and its domain."""
    local, _, domain = email.partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


_EMAIL_IN_TEXT = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def mask_emails_in(text: str) -> str:
    """``text`` with every address in it masked: how agents see transcripts (docs/SECURITY.md)."""
    return _EMAIL_IN_TEXT.sub(lambda found: mask_email(found.group(0)), text)


def find_email(text: str) -> str | None:
    """The first valid email address in ``text``, normalized; None if there is none."""
    for match in _EMAIL_IN_TEXT.finditer(text):
        if is_valid_email(match.group(0)):
            return normalize_email(match.group(0))
    return None
