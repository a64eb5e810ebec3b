"""Resume codes: short, typeable codes that reopen a conversation.

The assistant tells people to clear cookies and site data, which also wipes the widget's
memory of the conversation. The widget shows a code such as ``K7QM-4HXT``; typing it
back (any case, with or without the dash) reattaches to the same conversation.

Eight characters from a 30-symbol alphabet is about 2**39 codes; with attempts limited
per client address and codes expiring after inactivity, guessing one is not practical,
and a code never reveals the conversation id itself. Guessing is limited by
:class:`bot.chat.resume_attempts.ResumeAttempts`.
"""

from __future__ import annotations

import secrets

__all__ = ["ALPHABET", "CODE_LENGTH", "display_code", "new_code", "normalize_code"]

# No 0/O, 1/I/L, or U: nothing a person can misread or mistype.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 8
_SEPARATORS = str.maketrans("", "", " -_.")


def new_code() -> str:
    """A fresh random code, in stored (normalised) form."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(raw: str) -> str | None:
    """The stored form of what a person typed, or None if it cannot be a code."""
    if not isinstance(raw, str) or len(raw) > 32:
        return None
    code = raw.translate(_SEPARATORS).upper()
    if len(code) != CODE_LENGTH or any(char not in ALPHABET for char in code):
        return None
    return code


def display_code(code: str) -> str:
    """How a code is shown to people: two groups of four."""
    half = CODE_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"
