"""A person locked out of GEM-BOOKS resets their password on the account pages, in a real browser.

The hub runs in development mode (demo accounts, the mail sink on ``/dev/mail``) without
Rasa: these pages do not need the assistant. In French (the default) and in English:

- ``/forgot-password`` filled with a demo account, the reset mail read on ``/dev/mail``,
  its link opened, a mistake made (passwords that differ), a new password set on
  ``/reset``, then ``/login`` with it: "Connexion réussie" / "Signed in";
- ``/forgot-user-code`` sends the reminder with the user code in it;
- a typo'd email gets the form's own error in the person's language, not "expired".

The forms used to answer "La page a expiré" in Chromium: the pages sent
``Referrer-Policy: no-referrer``, under which Chromium posts ``Origin: null``, which the
CSRF check refuses. The reset link's token still must not reach another site in a Referer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from bot.settings import Settings
from tests.bot.conftest import closed_port_url
from tools.stack import free_port

from .conftest import DESKTOP, screenshot
from .live_hub import HubThread

_RESET_LINK = re.compile(r"^https?://[^/]+/reset\?token=[^\s\"<>]+$")
NEW_PASSWORD = {"fr": "Érable-sucré-2026", "en": "Maple-syrup-2026"}


class AccountsHub(HubThread):
    """The hub alone (no Rasa) in development mode on a loopback port: demo accounts, mail sink."""

    def settings(self) -> Settings:
        return Settings(
            host="127.0.0.1",
            port=free_port(),
            internal_port=free_port(),
            environment="development",
            database_url=f"sqlite+aiosqlite:///{self.work_dir / 'hub.db'}",
            rasa_url=closed_port_url(),
            action_server_url=closed_port_url(),
            triage_smtp_port=0,
            smtp_port=0,  # the development mail sink
            mail_sink_port=free_port(),
            outbox_poll_seconds=0.2,
        )


@pytest.fixture(scope="module")
def accounts_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AccountsHub]:
    with AccountsHub(tmp_path_factory.mktemp("accounts-hub")) as hub:
        yield hub


@pytest.fixture
def english_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def open_latest_mail(page: Page, hub: AccountsHub, to: str, subject: str) -> None:
    """The newest caught mail to ``to`` whose subject contains ``subject`` (it may take a poll or two)."""
    row = page.locator("table.mail-list tbody tr").filter(has_text=to).filter(has_text=subject)
    for _ in range(50):
        page.goto(f"{hub.url}/dev/mail")
        if row.count():
            break
        page.wait_for_timeout(200)
    row.first.get_by_role("link").click()
    expect(page.locator(".mail-body")).to_be_visible()


def reset_link(page: Page) -> str:
    links = [href for href in page.locator(".mail-body a").evaluate_all("els => els.map(a => a.href)")]
    resets = [href for href in links if _RESET_LINK.match(href)]
    assert len(resets) == 1, links
    return resets[0]


def no_referer_off_site(page: Page, hub: AccountsHub) -> None:
    """From the reset page, a link to another origin carries no Referer (so not the token)."""
    assert "token=" in page.url
    # "localhost" is another origin than "127.0.0.1": a real server, another site.
    elsewhere = f"http://localhost:{hub.port}/static/accounts.css"
    # The link opens in a new tab, so the reset page stays where it is: navigating it away
    # to another site and back made Chromium swap its renderer under Playwright, which
    # then lost the page now and then ("Not attached to an active page").
    page.evaluate(
        "url => { const a = document.createElement('a'); a.href = url; a.id = 'elsewhere';"
        " a.target = '_blank'; a.textContent = 'elsewhere'; document.body.append(a); }",
        elsewhere,
    )
    with (
        page.context.expect_event("request", predicate=lambda r: r.url == elsewhere) as request,
        page.context.expect_page() as opened,
    ):
        page.locator("#elsewhere").click()
    assert request.value.header_value("referer") is None
    opened.value.close()


def test_a_person_resets_a_forgotten_password_in_french(page: Page, accounts_hub: AccountsHub) -> None:
    hub = accounts_hub
    page.goto(f"{hub.url}/login")
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    page.get_by_role("link", name="Mot de passe oublié?").click()
    expect(page.get_by_role("heading", name="Mot de passe oublié")).to_be_visible()

    # A typo in the address: the form says so, in French (not "La page a expiré").
    page.get_by_label("Code d'utilisateur").fill("JTREMBLAY01")
    page.get_by_label("Courriel").fill("julie.tremblay@examplecom")
    page.get_by_role("button", name="SOUMETTRE").click()
    expect(page.get_by_role("alert")).to_have_text("Vérifiez le code d'utilisateur et l'adresse courriel.")
    screenshot(page, "accounts-01-forgot-password-typo-fr")

    page.get_by_label("Courriel").fill("julie.tremblay@example.com")
    page.get_by_role("button", name="SOUMETTRE").click()
    expect(page.get_by_role("status")).to_contain_text("C'est fait.")
    screenshot(page, "accounts-02-forgot-password-sent-fr")

    open_latest_mail(page, hub, "julie.tremblay@example.com", "mot de passe")
    screenshot(page, "accounts-03-reset-mail-fr")
    page.goto(reset_link(page))
    expect(page.get_by_role("heading", name="Choisir un nouveau mot de passe")).to_be_visible()
    expect(page.get_by_text("Compte : JTREMBLAY01")).to_be_visible()
    no_referer_off_site(page, hub)

    # Two different passwords: the page's own error, in French.
    page.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD["fr"])
    page.get_by_label("Confirmez le nouveau mot de passe", exact=True).fill(NEW_PASSWORD["fr"] + "!")
    page.get_by_role("button", name="ENREGISTRER").click()
    expect(page.get_by_role("alert")).to_have_text("Les deux mots de passe ne sont pas identiques.")
    screenshot(page, "accounts-04-reset-mismatch-fr")
    assert "token=" not in page.url  # the form posts the token in its body, not the URL

    page.get_by_label("Nouveau mot de passe", exact=True).fill(NEW_PASSWORD["fr"])
    page.get_by_label("Confirmez le nouveau mot de passe", exact=True).fill(NEW_PASSWORD["fr"])
    page.get_by_role("button", name="ENREGISTRER").click()
    expect(page.get_by_role("heading", name="Mot de passe changé")).to_be_visible()
    screenshot(page, "accounts-05-reset-done-fr")

    page.get_by_role("link", name="Connexion!").click()
    page.get_by_label("Code d'utilisateur ou Courriel").fill("JTREMBLAY01")
    page.get_by_label("Mot de passe", exact=True).fill(NEW_PASSWORD["fr"])
    page.get_by_role("button", name="SOUMETTRE").click()
    expect(page.get_by_role("heading", name="Connexion réussie")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Bonjour Julie Tremblay, votre mot de passe fonctionne.")
    screenshot(page, "accounts-06-login-ok-fr")


def test_a_person_gets_a_user_code_reminder_in_french(page: Page, accounts_hub: AccountsHub) -> None:
    hub = accounts_hub
    page.goto(f"{hub.url}/login")
    page.get_by_role("link", name="Code d'utilisateur oublié?").click()
    expect(page.get_by_role("heading", name="Code d'utilisateur oublié")).to_be_visible()
    page.get_by_label("Courriel").fill("marie.gagnon@example.org")
    page.get_by_role("button", name="SOUMETTRE").click()
    expect(page.get_by_role("status")).to_contain_text("C'est fait.")
    screenshot(page, "accounts-07-forgot-user-code-sent-fr")
    open_latest_mail(page, hub, "marie.gagnon@example.org", "code")
    expect(page.locator(".mail-body")).to_contain_text("MGAGNON")


def test_a_person_resets_a_forgotten_password_in_english(
    english_page: Page, accounts_hub: AccountsHub
) -> None:
    page, hub = english_page, accounts_hub
    page.goto(f"{hub.url}/login")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot password")).to_be_visible()

    page.get_by_label("User code").fill("BSMITH")
    page.get_by_label("Email").fill("bob.smith@example.net")
    page.get_by_role("button", name="SUBMIT").click()
    expect(page.get_by_role("status")).to_contain_text("Done.")
    screenshot(page, "accounts-11-forgot-password-sent-en")

    open_latest_mail(page, hub, "bob.smith@example.net", "password")
    page.goto(reset_link(page))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    no_referer_off_site(page, hub)

    # Too short for the rule: the browser itself stops it (minlength), so remove that
    # and let the page answer, in English.
    page.locator("#password, #confirmation").evaluate_all(
        "els => els.forEach(e => e.removeAttribute('minlength'))"
    )
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("Confirm the new password", exact=True).fill("short")
    page.get_by_role("button", name="SAVE").click()
    expect(page.get_by_role("alert")).to_contain_text("The password must be at least")
    screenshot(page, "accounts-12-reset-too-short-en")

    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD["en"])
    page.get_by_label("Confirm the new password", exact=True).fill(NEW_PASSWORD["en"])
    page.get_by_role("button", name="SAVE").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()

    page.get_by_role("link", name="Sign in!").click()
    page.get_by_label("User code or email").fill("bob.smith@example.net")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD["en"])
    page.get_by_role("button", name="SUBMIT").click()
    expect(page.get_by_role("heading", name="Signed in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Hello Bob Smith, your password works.")
    screenshot(page, "accounts-13-login-ok-en")


def test_a_person_gets_a_user_code_reminder_in_english(english_page: Page, accounts_hub: AccountsHub) -> None:
    page, hub = english_page, accounts_hub
    page.goto(f"{hub.url}/forgot-user-code")
    expect(page.get_by_role("heading", name="Forgot user code")).to_be_visible()
    page.get_by_label("Email").fill("bob.smith@example.net")
    page.get_by_role("button", name="SUBMIT").click()
    expect(page.get_by_role("status")).to_contain_text("Done.")
    screenshot(page, "accounts-14-forgot-user-code-sent-en")
    open_latest_mail(page, hub, "bob.smith@example.net", "user code")
    expect(page.locator(".mail-body")).to_contain_text("BSMITH")
