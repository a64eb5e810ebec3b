"""The shape of user codes, as the assistant checks it (``actions/accounts.py``).

The hub checks again because the internal API and the pages are reachable without the
assistant. Email addresses are in :mod:`bot.mail.addresses`.

>>> is_valid_user_code("JT-01"), is_valid_user_code("a b")
(True, False)
"""

from __future__ import annotations

import re

__all__ = ["is_valid_user_code", "user_code_key"]

_USER_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{2,29}$")


def is_valid_user_code(value: str) -> bool:
    """3 to 30 letters, digits, dots, underscores or dashes, starting with a letter or digit."""
    return bool(_USER_CODE.match(value))


def user_code_key(value: str) -> str:
    """The comparison form of a user code: user codes are case-insensitive."""
    return value.strip().lower()
