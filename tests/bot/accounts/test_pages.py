"""The account pages: CSRF, password rules, headers, dead links, French and English."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient

from bot.appkeys import ACCOUNTS, RESET_TOKENS
from bot.csrf import CSRF_COOKIE
from tests.bot.accounts.conftest import BOB, JULIE, csrf_in, heading
from tests.bot.smtp_server import SmtpRecorder

pytestmark = pytest.mark.asyncio


async def fresh_link(hub: TestClient, user_code: str, email: str) -> str:
    account = await hub.app[ACCOUNTS].match(user_code, email)
    assert account is not None
    return await hub.app[RESET_TOKENS].issue(account.id)


async def open_reset(hub: TestClient, token: str, lang: str | None = None) -> tuple[int, str, dict[str, str]]:
    query = f"/reset?token={token}" + (f"&lang={lang}" if lang else "")
    async with hub.get(query) as page:
        return page.status, await page.text(), dict(page.headers)


async def post_reset(hub: TestClient, form: dict[str, str], **kwargs: object) -> tuple[int, str]:
    async with hub.post("/reset", data=form, **kwargs) as response:  # type: ignore[arg-type]
        return response.status, await response.text()


async def test_the_reset_page_is_strict_about_headers_and_loads_nothing_foreign(
    accounts_hub: TestClient,
) -> None:
    token = await fresh_link(accounts_hub, JULIE.user_code, JULIE.email)
    status, html, headers = await open_reset(accounts_hub, token)
    assert status == 200
    # Not "no-referrer": Chromium would post the form with "Origin: null" (refused).
    assert headers["Referrer-Policy"] == "same-origin"
    assert '<meta name="referrer" content="same-origin">' in html
    assert headers["Cache-Control"] == "no-store"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "HttpOnly" in headers["Set-Cookie"] and "SameSite=Strict" in headers["Set-Cookie"]
    for foreign in ("http://", "https://", "//fonts", "<script"):
        assert foreign not in html.replace('href="/', ""), foreign


async def test_the_reset_page_speaks_the_accounts_language_and_switches(accounts_hub: TestClient) -> None:
    julie = await fresh_link(accounts_hub, JULIE.user_code, JULIE.email)
    bob = await fresh_link(accounts_hub, BOB.user_code, BOB.email)
    assert heading((await open_reset(accounts_hub, julie))[1]) == "Choisir un nouveau mot de passe"
    assert heading((await open_reset(accounts_hub, bob))[1]) == "Choose a new password"
    _, html, _ = await open_reset(accounts_hub, julie, lang="en")
    assert heading(html) == "Choose a new password"
    assert f'href="/reset?token={julie}&amp;lang=fr"' in html  # the switch keeps the link working


@pytest.mark.parametrize(
    ("lang", "title", "text"),
    [
        ("fr", "Ce lien n&#39;est plus valide", "Demander un nouveau lien"),
        ("en", "This link is no longer valid", "Request a new link"),
    ],
)
async def test_an_unknown_link_says_so_and_offers_a_new_one(
    accounts_hub: TestClient, lang: str, title: str, text: str
) -> None:
    for token in ("made-up-token", "", "x" * 500):
        status, html, _ = await open_reset(accounts_hub, token, lang)
        assert status == 410
        assert heading(html) == title
        assert f'<a href="/forgot-password?lang={lang}">{text}</a>' in html


@pytest.mark.parametrize(
    ("password", "confirmation", "lang", "error"),
    [
        ("court", "court", "fr", "Le mot de passe doit contenir au moins 10 caractères."),
        ("short", "short", "en", "The password must be at least 10 characters long."),
        ("assez long oui", "assez long non", "fr", "Les deux mots de passe ne sont pas identiques."),
        ("long enough yes", "long enough no", "en", "The two passwords are not the same."),
    ],
)
async def test_password_rules_are_explained_in_the_pages_language(
    accounts_hub: TestClient, password: str, confirmation: str, lang: str, error: str
) -> None:
    token = await fresh_link(accounts_hub, JULIE.user_code, JULIE.email)
    _, html, _ = await open_reset(accounts_hub, token, lang)
    form = {
        "csrf": csrf_in(html),
        "token": token,
        "lang": lang,
        "password": password,
        "confirmation": confirmation,
    }
    status, html = await post_reset(accounts_hub, form)
    assert status == 422
    assert f'role="alert">{error.replace(chr(39), "&#39;")}</p>' in html
    # Nothing was spent: the link still works.
    assert (await open_reset(accounts_hub, token))[0] == 200


async def test_csrf_is_enforced_on_the_reset_form(accounts_hub: TestClient) -> None:
    token = await fresh_link(accounts_hub, JULIE.user_code, JULIE.email)
    _, html, _ = await open_reset(accounts_hub, token)
    good = {
        "csrf": csrf_in(html),
        "token": token,
        "lang": "fr",
        "password": "nouveau mdp 123",
        "confirmation": "nouveau mdp 123",
    }
    forged = [
        {**good, "csrf": ""},
        {**good, "csrf": "another-value-entirely-000"},
        {key: value for key, value in good.items() if key != "csrf"},
    ]
    for form in forged:
        status, html = await post_reset(accounts_hub, form)
        assert (status, heading(html)) == (403, "La page a expiré")
    status, _ = await post_reset(accounts_hub, good, headers={"Origin": "https://evil.example"})
    assert status == 403
    # The pages send "same-origin" so that browsers post a real Origin; "null" (a sandboxed
    # frame, a "no-referrer" page) stays refused even with the right token.
    status, _ = await post_reset(accounts_hub, good, headers={"Origin": "null"})
    assert status == 403
    accounts_hub.session.cookie_jar.clear()  # a cross-site form arrives without our cookie
    status, _ = await post_reset(accounts_hub, good)
    assert status == 403
    assert (await open_reset(accounts_hub, token))[0] == 200  # nothing changed


async def test_the_login_page_looks_like_gem_books(accounts_hub: TestClient) -> None:
    async with accounts_hub.get("/login") as page:
        html = await page.text()
    assert heading(html) == "Connexion"
    for words in (
        "Code d&#39;utilisateur ou Courriel",
        "Mot de passe",
        "SOUMETTRE",
        "Mot de passe oublié?",
        "Code d&#39;utilisateur oublié?",
        ">English</a>",
    ):
        assert words in html, words
    async with accounts_hub.get("/login?lang=en") as page:
        html = await page.text()
    for words in (
        "Sign in",
        "User code or email",
        "SUBMIT",
        "Forgot password?",
        "Forgot user code?",
        ">Français</a>",
    ):
        assert words in html, words


async def test_a_failed_login_says_nothing_about_which_part_was_wrong(accounts_hub: TestClient) -> None:
    async with accounts_hub.get("/login") as page:
        csrf = csrf_in(await page.text())
    pages = []
    for identifier, password in [(JULIE.user_code, "wrong password"), ("NOBODY42", "wrong password")]:
        form = {"csrf": csrf, "lang": "fr", "identifier": identifier, "password": password}
        async with accounts_hub.post("/login", data=form) as response:
            pages.append(await response.text())
    for html in pages:
        assert "Code d&#39;utilisateur, courriel ou mot de passe invalide." in html


async def test_the_forgot_password_form_sends_the_same_email(
    accounts_hub: TestClient, smtp: SmtpRecorder
) -> None:
    async with accounts_hub.get("/forgot-password?lang=en") as page:
        html = await page.text()
    assert heading(html) == "Forgot password"
    form = {"csrf": csrf_in(html), "lang": "en", "user_code": BOB.user_code, "email": BOB.email}
    async with accounts_hub.post("/forgot-password", data=form) as response:
        assert "If these details match a GEM-BOOKS account" in await response.text()
    [mail] = await smtp.wait_for(1)
    assert str(mail["To"]) == BOB.email


async def test_the_forgot_user_code_form_sends_the_reminder(
    accounts_hub: TestClient, smtp: SmtpRecorder
) -> None:
    async with accounts_hub.get("/forgot-user-code") as page:
        html = await page.text()
    form = {"csrf": csrf_in(html), "lang": "fr", "email": JULIE.email}
    async with accounts_hub.post("/forgot-user-code", data=form) as response:
        assert "Si ces renseignements correspondent" in await response.text()
    [mail] = await smtp.wait_for(1)
    assert JULIE.user_code in mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]


async def test_the_csrf_cookie_is_reused_not_rotated_on_every_page(accounts_hub: TestClient) -> None:
    async with accounts_hub.get("/login") as first:
        token = csrf_in(await first.text())
    async with accounts_hub.get("/forgot-password") as second:
        assert csrf_in(await second.text()) == token
        assert CSRF_COOKIE not in second.cookies
