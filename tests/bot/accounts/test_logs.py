"""What the hub logs about a reset: masked addresses, never a token or a password."""

from __future__ import annotations

import logging

import pytest

from bot.accounts.demo import ensure_demo_accounts
from bot.app import init_app
from bot.appkeys import ACCOUNTS
from bot.settings import Settings
from tests.bot.accounts.conftest import JULIE, MovableClock, post_internal, reset_body
from tests.bot.accounts.test_reset_flow import log_in, set_password
from tests.bot.conftest import ClientFactory
from tests.bot.smtp_server import SmtpRecorder, link_in

pytestmark = pytest.mark.asyncio


async def test_a_whole_reset_leaves_no_secret_in_the_logs(
    aiohttp_client: ClientFactory,
    account_settings: Settings,
    smtp: SmtpRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)  # what `python -m bot` logs
    hub = await aiohttp_client(init_app(account_settings, clock=MovableClock()))
    await ensure_demo_accounts(hub.app[ACCOUNTS])
    status, _, _ = await post_internal(hub, "password-reset", reset_body(JULIE.user_code, JULIE.email))
    assert status == 202
    [mail] = await smtp.wait_for(1)
    link = link_in(mail)
    token = link.split("token=")[1].split("&")[0]
    async with hub.get("/reset?" + link.split("?", 1)[1]) as page:
        assert page.status == 200
    await set_password(hub, link, "secret nouveau mot de passe")
    assert await log_in(hub, JULIE.email, "secret nouveau mot de passe") == "Connexion réussie"

    # (mail.log is the test's own SMTP server, standing in for the outside mail relay.)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name != "mail.log")
    assert "j***@example.com" in logged  # the request and the delivery are traceable
    assert "GET /reset?token=***&lang=fr" in logged
    for secret in (JULIE.email, token, "secret nouveau mot de passe"):
        assert secret not in logged, secret
