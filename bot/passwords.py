"""Password hashing (Argon2id) and the rules a new password must meet.

Hashing costs tens of milliseconds of CPU on purpose, so the async helpers run it in a
worker thread: a login or a reset must not freeze every open chat meanwhile.

>>> password_problem("court", "court")
'too_short'
>>> password_problem("assez long oui", "pas pareil du tout")
'mismatch'
>>> password_problem("assez long oui", "assez long oui") is None
True
"""

from __future__ import annotations

import asyncio
import secrets
from functools import lru_cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "MAX_PASSWORD_CHARS",
    "MIN_PASSWORD_CHARS",
    "PasswordProblem",
    "hash_password",
    "password_problem",
    "verify_password",
    "verify_or_burn",
]

MIN_PASSWORD_CHARS = 10
# Argon2 accepts any length; a bound keeps a megabyte "password" from costing us.
MAX_PASSWORD_CHARS = 256

PasswordProblem = Literal["too_short", "too_long", "mismatch"]

_hasher = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile


def password_problem(password: str, confirmation: str) -> PasswordProblem | None:
    """Why ``password`` cannot be the new password, or None when it can."""
    if len(password) < MIN_PASSWORD_CHARS:
        return "too_short"
    if len(password) > MAX_PASSWORD_CHARS:
        return "too_long"
    if password != confirmation:
        return "mismatch"
    return None


async def hash_password(password: str) -> str:
    """The encoded Argon2id hash of ``password`` (salt and parameters included)."""
    return await asyncio.to_thread(_hasher.hash, password)


def _verify(encoded: str, password: str) -> bool:
    try:
        return _hasher.verify(encoded, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(encoded: str | None, password: str) -> bool:
    """Whether ``password`` matches; an account without a password matches nothing."""
    if not encoded or len(password) > MAX_PASSWORD_CHARS:
        await verify_or_burn()
        return False
    return await asyncio.to_thread(_verify, encoded, password)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


async def verify_or_burn() -> None:
    """Spend one verification's time for nothing.

    Called when there is no account to check, so that "no such account" and "wrong
    password" take the same time and a stopwatch cannot tell them apart.
    """
    await asyncio.to_thread(_verify, _decoy_hash(), "")
