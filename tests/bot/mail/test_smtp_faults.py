"""SMTP down while a reset is asked for: an immediate answer, then exactly one mail later."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.appkeys import OUTBOX
from bot.settings import Settings
from tests.bot.accounts.conftest import JULIE, MovableClock, fast_mail, post_internal, reset_body, start_hub
from tests.bot.conftest import ClientFactory
from tests.bot.smtp_server import SmtpRecorder, link_in
from tools.stack import free_port

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("fault", ["down", "hanging"])
async def test_the_answer_is_immediate_and_the_mail_arrives_once_the_server_is_back(
    aiohttp_client: ClientFactory, settings: Settings, fault: str
) -> None:
    port = free_port()
    hanging = None
    if fault == "hanging":

        async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await asyncio.sleep(60)

        hanging = await asyncio.start_server(silent, "127.0.0.1", port)
    hub = await start_hub(aiohttp_client, fast_mail(settings, port, smtp_timeout_seconds=0.5), MovableClock())

    started = time.monotonic()
    status, _, _ = await post_internal(hub, "password-reset", reset_body(JULIE.user_code, JULIE.email))
    assert status == 202
    assert time.monotonic() - started < 1.0

    await asyncio.sleep(1.5)  # attempts fail meanwhile
    assert await hub.app[OUTBOX].counts() == {"pending": 1}
    if hanging is not None:
        hanging.close()
        await hanging.wait_closed()
    async with SmtpRecorder(port) as smtp:
        [mail] = await smtp.wait_for(1)
        await asyncio.sleep(1.0)
        assert len(smtp.messages) == 1
    assert await hub.app[OUTBOX].counts() == {"sent": 1}
    async with hub.get("/reset?" + link_in(mail).split("?", 1)[1]) as page:
        assert page.status == 200
