"""Building outbound messages with the headers every automatic mail must carry.

Usage::

    message = build_message(
        sender="GEM-BOOKS <soutien@gem-books.com>", to="marie@exemple.ca",
        subject="...", text="...", html="<p>...</p>", now=clock(),
    )

Plain text first and HTML as the alternative (RFC 2046: last is preferred), a
``Message-ID`` on our own domain, ``Date``, and ``Auto-Submitted: auto-generated``
(RFC 3834) so that vacation responders do not answer a reset email.
"""

from __future__ import annotations

import datetime as dt
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid

__all__ = ["build_message", "sender_domain"]


def sender_domain(sender: str) -> str:
    """The domain of the sender's address, for Message-IDs ("gem-books.com")."""
    addresses = getaddresses([sender])
    address = addresses[0][1] if addresses else ""
    return address.rpartition("@")[2] or "localhost"


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    now: dt.datetime,
    auto_submitted: str = "auto-generated",
) -> EmailMessage:
    """A multipart/alternative message ready for ``aiosmtplib.send``."""
    local, _, domain = to.partition("@")
    message = EmailMessage()
    message["From"] = sender
    # An Address object, not a string: a stray CR/LF cannot become a header.
    message["To"] = Address(addr_spec=f"{local}@{domain}")
    message["Subject"] = subject
    message["Date"] = format_datetime(now.astimezone(dt.timezone.utc))
    message["Message-ID"] = make_msgid(domain=sender_domain(sender))
    message["Auto-Submitted"] = auto_submitted
    message.set_content(text, cte="quoted-printable")
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message
