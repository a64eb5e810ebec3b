"""End to end: a chat through the hub, the real Rasa and action server, the hub's internal
API, the outbox, a real SMTP server, the reset page and the login page.

The action server is started with ``GEM_HUB_URL`` pointing at a port reserved for the
internal listener of each test's hub, and the shared ``GEM_INTERNAL_TOKEN``. Skipped without a trained model.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient

from bot.accounts.demo import DEMO_PASSWORD
from bot.appkeys import OUTBOX, SETTINGS
from bot.settings import Settings
from tests.bot.accounts.conftest import (
    BOB,
    JULIE,
    MovableClock,
    chat_hub,
    fast_mail,
    outbox_settled,
    texts,
)
from tests.bot.accounts.test_reset_flow import log_in, set_password
from tests.bot.conftest import ClientFactory, hello, say
from tests.bot.smtp_server import SmtpRecorder, link_in, text_of
from tools.stack import free_port

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("engineio_client_compat")]


async def ask_for_reset(
    ws: Any, user_code: str, email: str, opening: str = "j'ai oublié mon mot de passe"
) -> list[str]:
    """The dialogue of the issue; returns the assistant's last answer."""
    offer = texts(await say(ws, opening))
    assert any("réinitialiser" in t or "reset" in t for t in offer), offer
    asked = texts(await say(ws, "oui" if "réinitialiser" in offer[0] else "yes"))
    if any("code d'utilisateur" in t or "user code" in t for t in asked):
        asked = texts(await say(ws, user_code))
    # (Later in a conversation the assistant remembers the user code and asks only this.)
    assert any("courriel" in t or "email" in t for t in asked), asked
    return texts(await say(ws, email))


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


async def test_a_french_chat_resets_the_password_end_to_end(smtp_hub: TestClient, smtp: SmtpRecorder) -> None:
    async with smtp_hub.ws_connect("/ws") as ws:
        await hello(ws, language="fr")
        answer = await ask_for_reset(ws, JULIE.user_code, JULIE.email)
    assert any("C'est fait" in t and "j***@example.com" in t for t in answer), answer
    assert not any(JULIE.email in t for t in answer)
    [mail] = await smtp.wait_for(1)
    assert str(mail["To"]) == JULIE.email
    assert "vous ou une autre personne a demandé de changer votre mot de passe" in text_of(mail)
    link = link_in(mail)
    assert link.startswith(f"{smtp_hub.app[SETTINGS].public_base_url}/reset?token=")
    status, html = await set_password(smtp_hub, link, "mon nouveau mot de passe")
    assert status == 200 and "Mot de passe changé" in html
    assert await log_in(smtp_hub, JULIE.user_code, "mon nouveau mot de passe") == "Connexion réussie"
    async with smtp_hub.get(path_of(link)) as again:
        assert again.status == 410
    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 1


async def test_an_expired_link_from_the_chat_fails(
    smtp_hub: TestClient, smtp: SmtpRecorder, clock: MovableClock
) -> None:
    async with smtp_hub.ws_connect("/ws") as ws:
        await hello(ws, language="fr")
        await ask_for_reset(ws, JULIE.user_code, JULIE.email)
    [mail] = await smtp.wait_for(1)
    clock.advance(minutes=31)
    async with smtp_hub.get(path_of(link_in(mail))) as page:
        assert page.status == 410
        assert "Ce lien n&#39;est plus valide" in await page.text()
    assert await log_in(smtp_hub, JULIE.user_code, DEMO_PASSWORD) == "Connexion réussie"


async def test_a_mismatched_pair_gets_the_identical_reply_and_no_mail(
    smtp_hub: TestClient, smtp: SmtpRecorder
) -> None:
    replies = []
    for user_code, email in [(JULIE.user_code, JULIE.email), (JULIE.user_code, "julie.autre@example.com")]:
        async with smtp_hub.ws_connect("/ws") as ws:
            await hello(ws, language="fr")
            answer = await ask_for_reset(ws, user_code, email)
        replies.append([re.sub(r"\w\*\*\*@[\w.-]+", "<masked>", t) for t in answer])
    assert replies[0] == replies[1]
    assert await outbox_settled(smtp_hub) == {"sent": 1, "skipped": 1}
    assert [str(m["To"]) for m in smtp.messages] == [JULIE.email]


async def test_the_rate_limit_answers_in_the_persons_language(
    aiohttp_client: ClientFactory, settings: Settings, smtp: SmtpRecorder, rasa_stack: Any
) -> None:
    hub = await chat_hub(aiohttp_client, fast_mail(settings, smtp.port, account_mail_per_email=1), rasa_stack)
    async with hub.ws_connect("/ws") as ws:
        await hello(ws, language="fr")
        first = await ask_for_reset(ws, JULIE.user_code, JULIE.email)
        second = await ask_for_reset(ws, JULIE.user_code, JULIE.email)
    assert any("C'est fait" in t for t in first), first
    assert any("réessayez dans 60 minutes" in t for t in second), second
    await outbox_settled(hub)
    assert len(smtp.messages) == 1


async def test_an_english_chat_gets_the_user_code_reminder_and_a_stranger_the_same_words(
    smtp_hub: TestClient, smtp: SmtpRecorder
) -> None:
    replies = []
    for email in (BOB.email, "bob.other@example.net"):
        async with smtp_hub.ws_connect("/ws") as ws:
            await hello(ws, language="en")
            asked = texts(await say(ws, "I forgot my user code"))
            assert any("email address" in t for t in asked), asked
            answer = texts(await say(ws, email))
        assert any("Done." in t and "b***@example.net" in t for t in answer), answer
        replies.append(answer)
    assert replies[0] == replies[1]  # both addresses mask to b***@example.net
    assert await outbox_settled(smtp_hub) == {"sent": 1, "skipped": 1}
    [mail] = smtp.messages
    assert str(mail["To"]) == BOB.email
    assert str(mail["Subject"]) == "GEM-BOOKS: your user code"
    assert f"Your user code: {BOB.user_code}" in text_of(mail)


async def test_with_smtp_down_the_chat_answers_at_once_and_the_mail_comes_later(
    aiohttp_client: ClientFactory, settings: Settings, rasa_stack: Any
) -> None:
    port = free_port()
    hub = await chat_hub(aiohttp_client, fast_mail(settings, port), rasa_stack)
    async with hub.ws_connect("/ws") as ws:
        await hello(ws, language="en")
        texts(await say(ws, "I forgot my password"))
        texts(await say(ws, "yes"))
        texts(await say(ws, BOB.user_code))
        started = time.monotonic()
        answer = texts(await say(ws, BOB.email))
        elapsed = time.monotonic() - started
    assert any("Done." in t for t in answer), answer
    assert elapsed < 5.0  # one Rasa turn; the mail server is not waited for
    await asyncio.sleep(1.0)
    assert await hub.app[OUTBOX].counts() == {"pending": 1}
    async with SmtpRecorder(port) as smtp:
        [mail] = await smtp.wait_for(1)
        await asyncio.sleep(1.0)
        assert len(smtp.messages) == 1
    assert str(mail["Subject"]) == "GEM-BOOKS: change your password"
