"""Signed links for the end of automatic mail answers: "this solved it" / "I still need help".

Usage::

    links = FeedbackLinks(secret, settings, clock)
    url = links.url(mail_id=42, answer="no", language="fr")   # .../feedback?token=...&lang=fr
    checked = links.check(token)       # Checked(mail_id, answer) | "forged" | "expired"

A token says which mail, which answer and until when, and carries an HMAC-SHA256 of that
under the hub's secret (``Settings.link_secret`` or one the hub keeps in its database), so
it cannot be made or changed without the secret, and needs no login. It works until it
expires (``Settings.feedback_link_days``); using it once spends it: the answer is stored
once per mail (``satisfaction.inbound_mail_id`` is unique), so a second use is refused.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import hmac
from typing import Literal
from urllib.parse import urlencode

from bot.clock import Clock, system_clock
from bot.settings import Settings

__all__ = ["Checked", "FeedbackLinks"]

_ANSWER_CODES = {"yes": "y", "no": "n"}
_ANSWERS = {code: answer for answer, code in _ANSWER_CODES.items()}
_CONTEXT = b"gem-books feedback link v1\x00"
_SIGNATURE_BYTES = 24  # 192 bits


@dataclasses.dataclass(frozen=True)
class Checked:
    """A genuine, unexpired token."""

    mail_id: int
    answer: str  # "yes" | "no"


class FeedbackLinks:
    def __init__(self, secret: str, settings: Settings, clock: Clock = system_clock) -> None:
        if len(secret) < 16:
            raise ValueError("the feedback link secret must be at least 16 characters")
        self._key = secret.encode("utf-8")
        self._settings = settings
        self._clock = clock

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._key, _CONTEXT + payload.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_SIGNATURE_BYTES]).decode("ascii")

    def token(self, mail_id: int, answer: str) -> str:
        expires = self._clock() + dt.timedelta(days=self._settings.feedback_link_days)
        payload = f"{mail_id}.{_ANSWER_CODES[answer]}.{int(expires.timestamp())}"
        return f"{payload}.{self._sign(payload)}"

    def url(self, mail_id: int, answer: str, language: str) -> str:
        """The link, built from the public base URL (never from a request's Host)."""
        query = urlencode({"token": self.token(mail_id, answer), "lang": language})
        return f"{self._settings.public_base_url}/feedback?{query}"

    def check(self, token: object) -> Checked | Literal["forged", "expired"]:
        """What a token stands for; "forged" for anything not signed by us."""
        if not isinstance(token, str) or len(token) > 200:
            return "forged"
        parts = token.split(".")
        if len(parts) != 4:
            return "forged"
        mail_id, code, expires, signature = parts
        payload = f"{mail_id}.{code}.{expires}"
        if not payload.isascii() or not hmac.compare_digest(
            self._sign(payload).encode("ascii"), signature.encode("utf-8", "replace")
        ):
            return "forged"
        # Signed by us, so well formed; checked anyway.
        if not (mail_id.isdigit() and expires.isdigit() and code in _ANSWERS):
            return "forged"
        if int(expires) < self._clock().timestamp():
            return "expired"
        return Checked(int(mail_id), _ANSWERS[code])
