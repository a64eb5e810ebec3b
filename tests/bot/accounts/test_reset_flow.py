"""The whole reset loop without the assistant: request, mail, link, new password, login."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from aiohttp.test_utils import TestClient

from bot.accounts.demo import DEMO_PASSWORD
from bot.settings import Settings
from tests.bot.accounts.conftest import BOB, JULIE, MovableClock, csrf_in, heading, post_internal, reset_body
from tests.bot.smtp_server import SmtpRecorder, link_in, text_of

pytestmark = pytest.mark.asyncio


def path_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


async def set_password(
    hub: TestClient, link: str, password: str, confirmation: str | None = None
) -> tuple[int, str]:
    async with hub.get(path_of(link)) as page:
        html = await page.text()
    if page.status != 200:  # no form on a dead link's page; the token still comes from the cookie
        async with hub.get("/login") as page:
            html = await page.text()
    token = dict(pair.split("=", 1) for pair in urlsplit(link).query.split("&"))["token"]
    form = {
        "csrf": csrf_in(html),
        "token": token,
        "lang": "fr",
        "password": password,
        "confirmation": password if confirmation is None else confirmation,
    }
    async with hub.post("/reset", data=form) as response:
        return response.status, await response.text()


async def log_in(hub: TestClient, identifier: str, password: str, lang: str = "fr") -> str:
    async with hub.get(f"/login?lang={lang}") as page:
        csrf = csrf_in(await page.text())
    form = {"csrf": csrf, "lang": lang, "identifier": identifier, "password": password}
    async with hub.post("/login", data=form) as response:
        return heading(await response.text())


async def request_reset(
    hub: TestClient, user_code: str, email: str, language: str = "fr", conversation: str = "c"
) -> None:
    status, _, _ = await post_internal(
        hub, "password-reset", reset_body(user_code, email, language, conversation_id=conversation)
    )
    assert status == 202


async def test_reset_email_link_new_password_login_then_the_link_is_dead(
    accounts_hub: TestClient, smtp: SmtpRecorder, account_settings: Settings
) -> None:
    await request_reset(accounts_hub, JULIE.user_code, JULIE.email)
    [mail] = await smtp.wait_for(1)
    link = link_in(mail)
    # From the configured public URL, not from whatever Host the request had.
    assert link.startswith(f"{account_settings.public_base_url}/reset?token=")
    async with accounts_hub.get(path_of(link)) as page:
        assert page.status == 200
        assert page.headers["Referrer-Policy"] == "same-origin"
        assert heading(await page.text()) == "Choisir un nouveau mot de passe"
    status, html = await set_password(accounts_hub, link, "un tout nouveau mot de passe")
    assert (status, heading(html)) == (200, "Mot de passe changé")
    assert (
        await log_in(accounts_hub, JULIE.user_code.lower(), "un tout nouveau mot de passe")
        == "Connexion réussie"
    )
    assert await log_in(accounts_hub, JULIE.email, "un tout nouveau mot de passe", "en") == "Signed in"
    assert await log_in(accounts_hub, JULIE.user_code, DEMO_PASSWORD) == "Connexion"  # the old one is gone
    async with accounts_hub.get(path_of(link)) as again:
        assert again.status == 410
        assert heading(await again.text()) == "Ce lien n&#39;est plus valide"
    assert len(smtp.messages) == 1


async def test_an_expired_link_fails(
    accounts_hub: TestClient, smtp: SmtpRecorder, clock: MovableClock
) -> None:
    await request_reset(accounts_hub, BOB.user_code, BOB.email, "en")
    [mail] = await smtp.wait_for(1)
    clock.advance(minutes=29)
    async with accounts_hub.get(path_of(link_in(mail))) as page:
        assert page.status == 200
    clock.advance(minutes=2)
    async with accounts_hub.get(path_of(link_in(mail))) as page:
        assert page.status == 410
        assert heading(await page.text()) == "This link is no longer valid"
    status, _ = await set_password(accounts_hub, link_in(mail), "too late for this one")
    assert status == 410
    assert await log_in(accounts_hub, BOB.user_code, DEMO_PASSWORD, "en") == "Signed in"


async def test_a_newer_link_kills_the_older_one(accounts_hub: TestClient, smtp: SmtpRecorder) -> None:
    await request_reset(accounts_hub, JULIE.user_code, JULIE.email, conversation="first")
    await smtp.wait_for(1)
    await request_reset(accounts_hub, JULIE.user_code, JULIE.email, conversation="second")
    first, second = await smtp.wait_for(2)
    assert link_in(first) != link_in(second)
    async with accounts_hub.get(path_of(link_in(first))) as page:
        assert page.status == 410
    async with accounts_hub.get(path_of(link_in(second))) as page:
        assert page.status == 200


async def test_the_reset_email_follows_the_article_in_the_accounts_language(
    accounts_hub: TestClient, smtp: SmtpRecorder
) -> None:
    # Asked in English from the chat, but Julie's account is French: the mail is French.
    await request_reset(accounts_hub, JULIE.user_code, JULIE.email, language="en")
    [mail] = await smtp.wait_for(1)
    text = text_of(mail)
    assert text.startswith("Bonjour Julie Tremblay,")
    assert "vous ou une autre personne a demandé de changer votre mot de passe" in text
    assert "Si ce n'est pas vous, ne tenez pas compte de ce courriel." in text
    assert str(mail["From"]) == "GEM-BOOKS <soutien@gem-books.com>"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Message-ID"].endswith("@gem-books.com>")
    assert mail["Date"]
    html_part = mail.get_body(preferencelist=("html",))
    assert html_part is not None and html_part.get_content_type() == "text/html"
    html = str(html_part.get_content())
    assert f'href="{link_in(mail).replace("&", "&amp;")}"' in html
    assert "Cliquez ici" in html
