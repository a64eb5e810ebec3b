"""The handoff packet: what the assistant knew when it passed the conversation on.

Usage::

    packet = parse_packet(json_body)      # raises InvalidPacket on a malformed field
    packet.priority                       # "high" or "normal"
    masked = packet.masked()              # for lists and for agents not assigned
"""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.mail.addresses import is_valid_email, mask_email

__all__ = ["REASONS", "InvalidPacket", "Packet", "mask_user_code", "parse_packet"]

# The reasons action_escalate sends (actions/handoff.py); anything else is refused, so a
# reason can go into a mail subject without escaping.
REASONS = (
    "requested_by_person",
    "troubleshooting_exhausted",
    "out_of_scope",
    "not_understood",
    "accepted_offer",
    # A mail the triage did not answer itself (bot/triage); ``detail`` says why.
    "email",
)
_MAX_STEPS = 20
_MAX_FIELD = 120


class InvalidPacket(Exception):
    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def mask_user_code(code: str) -> str:
    """ "JTREMBLAY01" -> "JT***"."""
    return f"{code[:2]}***" if code else ""


@dataclasses.dataclass(frozen=True)
class Packet:
    conversation_id: str
    reason: str
    language: str
    browser: str = ""
    steps_tried: tuple[str, ...] = ()
    reset_email_sent: bool = False
    user_code: str = ""
    email: str = ""  # as the assistant has it: often already masked after a reset
    # Tickets from the email triage (reason "email"): what it understood and a reply to edit.
    channel: str = "chat"  # chat | email
    detail: str = ""  # the triage's reason code ("low_confidence", "reply_to_auto_answer", ...)
    topic: str = ""  # predicted intent
    confidence: float | None = None
    subject: str = ""
    suggested_reply: str = ""

    @property
    def priority(self) -> str:
        """High when the person already went through the fix or a reset that did not help."""
        failed_steps = any(step.endswith((":failed", ":no")) for step in self.steps_tried)
        # "still_need_help": the person followed our automatic answer's link (bot.satisfaction.mail).
        tried_fix = self.reason == "troubleshooting_exhausted" or self.detail in (
            "reply_to_auto_answer",
            "still_need_help",
        )
        if tried_fix or self.reset_email_sent or failed_steps:
            return "high"
        return "normal"

    @property
    def contact_email(self) -> str | None:
        """A full address support can answer to, if the person gave one."""
        # A masked address ("m***@exemple.ca", the assistant hides it after a reset) is no use.
        if not self.email or "***" in self.email or not is_valid_email(self.email):
            return None
        return self.email.lower()

    def as_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["steps_tried"] = list(self.steps_tried)
        del data["conversation_id"]
        return data

    def masked(self) -> dict[str, Any]:
        data = self.as_json()
        data["user_code"] = mask_user_code(self.user_code)
        data["email"] = mask_email(self.email) if self.email and "***" not in self.email else self.email
        return data


def _text(body: dict[str, Any], name: str, limit: int = _MAX_FIELD) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit or any(ord(c) < 32 for c in value):
        raise InvalidPacket(name)
    return value.strip()


def parse_packet(body: Any, default_language: str) -> Packet:
    if not isinstance(body, dict):
        raise InvalidPacket("body")
    conversation_id = _text(body, "conversation_id", 64)
    if len(conversation_id) < 16:
        raise InvalidPacket("conversation_id")
    reason = _text(body, "reason") or "requested_by_person"
    if reason not in REASONS:
        raise InvalidPacket("reason")
    language = _text(body, "language") or default_language
    if language not in ("fr", "en"):
        language = default_language
    steps = body.get("steps_tried") or []
    if not isinstance(steps, list) or len(steps) > _MAX_STEPS:
        raise InvalidPacket("steps_tried")
    if not all(isinstance(step, str) and len(step) <= 64 for step in steps):
        raise InvalidPacket("steps_tried")
    sent = body.get("reset_email_sent", False)
    if not isinstance(sent, bool):
        raise InvalidPacket("reset_email_sent")
    return Packet(
        conversation_id=conversation_id,
        reason=reason,
        language=language,
        browser=_text(body, "browser"),
        steps_tried=tuple(steps),
        reset_email_sent=sent,
        user_code=_text(body, "user_code", 30),
        email=_text(body, "email", 254),
    )
