"""What the triage knows of one received mail once parsed (see :mod:`bot.triage.parse`).

Plain data: no ``email`` objects, so it can be stored, compared and printed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

__all__ = ["Attachment", "MalformedMail", "ParsedMail"]


@dataclasses.dataclass(frozen=True)
class Attachment:
    filename: str  # "" when the part has none
    content_type: str  # "application/pdf"
    size: int  # decoded bytes


@dataclasses.dataclass(frozen=True)
class ParsedMail:
    # "<id@host>", as in the header; synthesised from the raw bytes' SHA-256
    # ("<sha256hex@no-message-id.invalid>") when the mail has none, so the same bytes
    # delivered twice still give one record.
    message_id: str
    from_address: str  # lower-cased addr-spec; "" when absent or unparseable
    from_name: str
    reply_to: str  # lower-cased addr-spec of Reply-To; "" when absent
    to: tuple[str, ...]  # To and Cc addr-specs, lower case, at most 100 kept
    recipient_count: int  # how many To/Cc addresses the mail named in all
    subject: str  # decoded, one line (no CR/LF or control characters), at most 998 chars
    date: dt.datetime | None
    in_reply_to: tuple[str, ...]  # "<...>" ids
    references: tuple[str, ...]  # "<...>" ids, oldest first
    text: str  # the body as text: text/plain preferred, else HTML turned into text
    attachments: tuple[Attachment, ...]
    content_language: str  # the Content-Language header, "" when absent
    # Every header as (lower-cased name, decoded one-line value), in order; at most 500,
    # each value at most 2,000 chars. The loop checks (bot.triage.automatic) read these.
    headers: tuple[tuple[str, str], ...]
    size: int  # raw bytes
    defects: tuple[str, ...]  # the email package's defect class names, for the record
    # "from" or "reply_to" when that header is there but is not exactly one valid address
    # (bot.triage.parse._sender): such mail has no answer address and no automatic answer.
    sender_problem: str = ""

    @property
    def answer_address(self) -> str:
        """Where an answer goes: Reply-To when given, else From; "" when either is unusable."""
        if self.sender_problem:
            return ""
        return self.reply_to or self.from_address

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive name), None when absent."""
        wanted = name.lower()
        for key, value in self.headers:
            if key == wanted:
                return value
        return None


class MalformedMail(Exception):
    """The bytes cannot be triaged; the mail is quarantined with ``reason``."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason  # "too_large", "not_a_mail", "unreadable", ...
        self.detail = detail
