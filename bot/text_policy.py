"""What a person may send in one chat message, checked before anything is stored.

Usage::

    problem = check_text(text, max_chars=2000)
    if problem is not None:
        ...  # problem is "too_long", "empty" or "invalid_characters"

Accents, emoji and right-to-left scripts pass; what is refused is what has no business in
a support chat and can disguise or corrupt text: NUL and other control characters, lone
surrogates (not valid Unicode; they break UTF-8 storage), and the bidirectional override
and isolate controls ("Trojan Source" trick that makes text display differently from what
it is).
"""

from __future__ import annotations

import unicodedata
from typing import Literal

__all__ = ["TextProblem", "check_text"]

TextProblem = Literal["too_long", "empty", "invalid_characters"]

_BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
)
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def _is_refused(char: str) -> bool:
    if char in _BIDI_CONTROLS:
        return True
    category = unicodedata.category(char)
    if category == "Cs":  # lone surrogate
        return True
    return category == "Cc" and char not in _ALLOWED_CONTROLS


def check_text(text: str, max_chars: int) -> TextProblem | None:
    """Why ``text`` cannot be accepted as a chat message, or None if it can."""
    # Length first: a 10,000-emoji message is "too long", however it is made.
    if len(text) > max_chars:
        return "too_long"
    if not text.strip():
        return "empty"
    if any(_is_refused(char) for char in text):
        return "invalid_characters"
    return None
