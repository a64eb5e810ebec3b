"""Starting an aiosmtpd SMTP server inside the hub's event loop (mail sink, triage intake).

Usage::

    server, port = await listen_smtp(handler, "127.0.0.1", 2525, name="gem-books-triage",
                                     max_bytes=10 * 1024 * 1024, setting="GEM_TRIAGE_SMTP_PORT")
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.smtp import SMTP

__all__ = ["listen_smtp"]


async def listen_smtp(
    handler: Any,
    host: str,
    port: int,
    *,
    name: str,
    max_bytes: int,
    setting: str,
    max_line: int = SMTP.line_length_limit,
) -> tuple[asyncio.AbstractServer, int]:
    """Listen with ``handler`` (aiosmtpd hooks); the server and its port (0 = a free one).

    ``max_line`` bounds a line of the message (RFC 5321 says 1,000 with its CRLF, but many
    mail programs write longer lines and mail servers pass them on).
    Raises OSError naming the address and the setting to change when the port is taken.
    """
    loop = asyncio.get_running_loop()
    # aiosmtpd reads the limit from the class when it builds its stream reader.
    server_class = type("LimitedSMTP", (SMTP,), {"line_length_limit": max_line})
    # aiosmtpd logs every envelope address at INFO; our logs carry no full address.
    logging.getLogger("mail.log").setLevel(logging.WARNING)

    def protocol() -> SMTP:
        # A fixed hostname: aiosmtpd would otherwise ask DNS for our FQDN.
        return server_class(handler, hostname=name, data_size_limit=max_bytes, loop=loop)

    try:
        server = await loop.create_server(protocol, host, port)
    except OSError as exc:
        raise OSError(
            f"{name} cannot listen on {host}:{port} ({exc.strerror}); set {setting} to a free port"
        ) from None
    sockets = getattr(server, "sockets", None) or []
    return server, (sockets[0].getsockname()[1] if sockets else port)
