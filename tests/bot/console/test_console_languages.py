"""The console in French (default) and English: the switch, the cookie, escaping, errors,
and the sign-in rate limit."""

from __future__ import annotations

import html

from aiohttp.test_utils import TestClient

from bot.appkeys import SETTINGS
from bot.console.language import LANG_COOKIE
from tests.bot.console.conftest import ANA, HOSTILE, csrf_in, handed_over, login


async def page(client: TestClient, path: str, **headers: str) -> tuple[int, str]:
    async with client.get(path, headers=headers) as response:
        return response.status, await response.text()


async def test_french_by_default_english_from_accept_language(console_hub: TestClient) -> None:
    status, text = await page(console_hub, "/console/login")
    assert status == 200 and '<html lang="fr">' in text and "Connexion des agents" in text
    status, text = await page(console_hub, "/console/login", **{"Accept-Language": "en-CA,en;q=0.8"})
    assert '<html lang="en">' in text and "Agent sign-in" in text and "Password" in text
    status, text = await page(console_hub, "/console/login", **{"Accept-Language": "de-DE"})
    assert '<html lang="fr">' in text


async def test_the_switch_is_remembered_on_every_console_page(console_hub: TestClient) -> None:
    handoff_id = await handed_over(console_hub)
    await login(console_hub)
    status, text = await page(console_hub, "/console?lang=en")
    assert status == 200 and '<html lang="en">' in text
    assert "Handed-over conversations" in text and "Sign out" in text and "Take" in text
    assert 'href="/console?lang=fr"' in text  # the switch back
    assert (
        console_hub.session.cookie_jar.filter_cookies(console_hub.make_url("/console"))[LANG_COOKIE].value
        == "en"
    )
    # No ?lang= any more: the cookie wins over the browser's French.
    fr_browser = {"Accept-Language": "fr-CA"}
    _, text = await page(console_hub, f"/console/c/{handoff_id}", **fr_browser)
    assert (
        f"Handoff #{handoff_id}" in text
        and "Take this conversation" in text
        and "requested by the person" in text
    )
    _, text = await page(console_hub, "/console/dashboard", **fr_browser)
    assert "Step-by-step troubleshooting" in text and "Handoffs by reason" in text
    # And back to French.
    _, text = await page(console_hub, "/console/dashboard?lang=fr")
    assert "Dépannage pas à pas" in text and '<html lang="fr">' in text
    _, text = await page(console_hub, "/console")
    assert "Conversations transférées" in text


async def test_errors_are_localized_pages(console_hub: TestClient) -> None:
    await login(console_hub)
    status, text = await page(console_hub, "/console/c/999999")
    assert status == 404 and "Cette conversation n&#39;existe pas" in text
    status, text = await page(console_hub, "/console/c/999999?lang=en")
    assert status == 404 and "This conversation does not exist" in text and '<html lang="en">' in text
    await page(console_hub, "/console?lang=en")  # the switch's cookie carries over to form errors
    async with console_hub.post("/console/logout", data={"csrf": "x" * 40}) as response:
        assert response.status == 403 and "This page has expired" in await response.text()


async def test_escaping_holds_in_both_languages(console_hub: TestClient) -> None:
    handoff_id = await handed_over(console_hub, *HOSTILE)
    await login(console_hub)
    for lang in ("fr", "en"):
        _, text = await page(console_hub, f"/console/c/{handoff_id}?lang={lang}")
        assert f'<html lang="{lang}">' in text
        for hostile in HOSTILE:
            assert hostile not in text
            assert html.escape(hostile, quote=False) in text or html.escape(hostile) in text
    # The email typed at sign-in comes back escaped too.
    async with console_hub.get("/console/login?lang=en") as response:
        token = csrf_in(await response.text())
    async with console_hub.post(
        "/console/login", data={"csrf": token, "email": '"><script>x</script>', "password": "nope"}
    ) as response:
        text = await response.text()
        assert response.status == 401 and "Wrong email or password." in text
        assert "<script>x</script>" not in text and "&#34;&gt;&lt;script&gt;" in text


async def test_sign_in_is_refused_after_too_many_attempts(console_hub: TestClient) -> None:
    limit = console_hub.app[SETTINGS].login_attempts_per_window
    async with console_hub.get("/console/login?lang=en") as response:
        token = csrf_in(await response.text())
    for _ in range(limit):
        async with console_hub.post(
            "/console/login", data={"csrf": token, "email": ANA[0], "password": "wrong"}
        ) as response:
            assert response.status == 401
    # The right password no longer helps for this email: a clear answer, not a 500.
    async with console_hub.post(
        "/console/login", data={"csrf": token, "email": ANA[0], "password": ANA[2]}, allow_redirects=False
    ) as response:
        text = await response.text()
        assert response.status == 429 and "Too many sign-in attempts. Try again in 15 minutes." in text
    async with console_hub.post(
        "/console/login?lang=fr", data={"csrf": token, "email": ANA[0].upper(), "password": ANA[2]}
    ) as response:
        assert response.status == 429 and "Trop de tentatives de connexion" in await response.text()
