"""A real SMTP server (aiosmtpd) inside the test's event loop, keeping what it receives.

Usage::

    async with SmtpRecorder() as smtp:          # a free loopback port: smtp.port
        ...                                      # point the hub's GEM_SMTP_PORT at it
        [mail] = await smtp.wait_for(1)          # email.message.EmailMessage objects

``SmtpRecorder(port=...)`` can also start late on a port chosen earlier, to play a mail
server that was down and comes back.
"""

from __future__ import annotations

import asyncio
import re
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any

from aiosmtpd.smtp import SMTP

from tools.stack import free_port

__all__ = ["SmtpRecorder", "link_in", "text_of"]


class SmtpRecorder:
    def __init__(self, port: int = 0) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._arrived = asyncio.Event()
        self._server: asyncio.AbstractServer | None = None

    async def start(self) -> SmtpRecorder:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: SMTP(self, hostname="test-smtp", loop=loop), "127.0.0.1", self.port
        )
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> SmtpRecorder:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append(message)  # type: ignore[arg-type]
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self._arrived.set()
        return "250 OK"

    async def wait_for(self, count: int, timeout: float = 15.0) -> list[EmailMessage]:
        """The first ``count`` messages, once they have all arrived."""

        async def arrived() -> None:
            while len(self.messages) < count:
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(arrived(), timeout)
        return self.messages[:count]


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, message
    return str(part.get_content())


def link_in(message: EmailMessage) -> str:
    """The reset link of a reset email (from its text part)."""
    match = re.search(r"https?://\S+/reset\?\S+", text_of(message))
    assert match, text_of(message)
    return match.group(0)
