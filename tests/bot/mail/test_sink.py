"""The development mail sink: catches the hub's mail and shows it, escaped, on /dev/mail."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
from email.message import EmailMessage
from urllib.parse import urlsplit

import aiosmtplib
import pytest
from aiohttp.test_utils import TestClient

from bot.accounts.demo import DEMO_ACCOUNTS
from bot.app import init_app
from bot.settings import Settings
from tests.bot.accounts.conftest import INTERNAL_TOKEN, post_internal, reset_body
from tests.bot.conftest import ClientFactory
from tools.stack import free_port

pytestmark = pytest.mark.asyncio

JULIE = DEMO_ACCOUNTS[0]


def development(settings: Settings) -> Settings:
    port = free_port()
    return dataclasses.replace(
        settings,
        environment="development",
        internal_token=INTERNAL_TOKEN,
        mail_sink_port=port,
        smtp_port=port,
        outbox_poll_seconds=0.1,
    )


async def caught_list(hub: TestClient, count: int) -> str:
    """/dev/mail once it lists ``count`` messages."""
    for _ in range(100):
        async with hub.get("/dev/mail") as page:
            html = await page.text()
        if html.count('href="/dev/mail/') >= count:
            return html
        await asyncio.sleep(0.1)
    raise AssertionError(html)


async def test_a_reset_email_lands_on_the_sink_page_and_its_link_works(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    hub = await aiohttp_client(init_app(development(settings)))  # demo accounts: created at start
    status, _, _ = await post_internal(hub, "password-reset", reset_body(JULIE.user_code, JULIE.email))
    assert status == 202
    listing = await caught_list(hub, 1)
    assert "GEM-BOOKS : changement de votre mot de passe" in listing
    assert JULIE.email in listing
    mail_path = re.search(r'href="(/dev/mail/\d+)"', listing).group(1)  # type: ignore[union-attr]
    async with hub.get(mail_path) as page:
        view = await page.text()
    link = re.search(r'<a href="(http://[^"]+/reset\?token=[^"]+)"', view).group(1)  # type: ignore[union-attr]
    parts = urlsplit(link.replace("&amp;", "&"))
    async with hub.get(f"{parts.path}?{parts.query}") as reset_page:
        assert reset_page.status == 200
    async with hub.get(f"{mail_path}/html") as html_part:
        assert "sandbox" in html_part.headers["Content-Security-Policy"]
        assert '<base target="_blank">' in await html_part.text()


async def test_caught_mail_is_shown_as_text_never_as_markup(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    configured = development(settings)
    hub = await aiohttp_client(init_app(configured))
    hostile = EmailMessage()
    hostile["From"] = "attacker@example.com"
    hostile["To"] = "someone@example.com"
    hostile["Subject"] = "<script>alert(1)</script>"
    hostile.set_content('<img src=x onerror="alert(2)"> javascript:alert(3) https://ok.example/path')
    await aiosmtplib.send(hostile, hostname="127.0.0.1", port=configured.mail_sink_port)
    listing = await caught_list(hub, 1)
    assert "<script>" not in listing and "&lt;script&gt;" in listing
    mail_path = re.search(r'href="(/dev/mail/\d+)"', listing).group(1)  # type: ignore[union-attr]
    async with hub.get(mail_path) as page:
        view = await page.text()
    assert "<img" not in view and "&lt;img" in view
    assert 'href="javascript' not in view
    assert '<a href="https://ok.example/path"' in view


async def test_no_sink_and_no_mail_page_outside_development(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    port = free_port()
    hub = await aiohttp_client(init_app(dataclasses.replace(settings, mail_sink_port=port)))
    async with hub.get("/dev/mail") as page:
        assert page.status == 404
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nothing listens
    async with hub.get("/login") as login:
        assert "/dev/mail" not in await login.text()


async def test_a_taken_sink_port_is_a_clear_start_up_error(settings: Settings) -> None:
    from aiohttp.test_utils import TestServer

    configured = development(settings)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", configured.mail_sink_port))
        taken.listen()
        server = TestServer(init_app(configured))
        with pytest.raises(OSError, match="GEM_MAIL_SINK_PORT"):
            await server.start_server()
        await server.close()
