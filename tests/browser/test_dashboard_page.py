"""A support lead opens the dashboard on generated traffic, in a real browser.

The hub runs without Rasa (the dashboard only reads the database), on a database filled
by ``tools.dashboard_data``: the charts are drawn, each with its table, nothing is
refused by the console's Content-Security-Policy, and the range and filters change what
is shown. A screenshot goes to tests/screenshots/dashboard*.png for a person to look at.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from aiohttp import web
from playwright.sync_api import Page, expect

from bot.appkeys import AGENTS, ENGINE
from bot.settings import Settings
from tests.bot.conftest import closed_port_url
from tools.dashboard_data import Volume, generate
from tools.stack import free_port

from .conftest import screenshot
from .live_hub import HubThread

AGENT = ("lead@example.com", "Chef d'équipe", "lead-password-1")


class DashboardHub(HubThread):
    """The hub alone (no Rasa) on a loopback port, its database filled with traffic."""

    startup_timeout = 150.0

    def settings(self) -> Settings:
        return Settings(
            host="127.0.0.1",
            port=free_port(),
            internal_port=free_port(),
            database_url=f"sqlite+aiosqlite:///{self.work_dir / 'hub.db'}",
            rasa_url=closed_port_url(),
            action_server_url=closed_port_url(),
            triage_smtp_port=0,
        )

    async def prepare(self, app: web.Application) -> None:
        await generate(app[ENGINE], Volume(conversations=4000, handoffs=400, days=45), today=dt.date.today())
        await app[AGENTS].create(*AGENT)


@pytest.fixture(scope="module")
def dashboard_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardHub]:
    with DashboardHub(tmp_path_factory.mktemp("dashboard-hub")) as hub:
        yield hub


def test_a_support_lead_reads_the_dashboard(page: Page, dashboard_hub: DashboardHub) -> None:
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(f"{dashboard_hub.url}/console/dashboard")
    page.get_by_label("Courriel").fill(AGENT[0])
    page.get_by_label("Mot de passe").fill(AGENT[2])
    page.get_by_role("button", name="Se connecter").click()
    page.get_by_role("link", name="Tableau de bord").click()

    expect(page.get_by_role("heading", name="Tableau de bord", level=1)).to_be_visible()
    expect(page.locator("#n-conversations")).not_to_have_text("0")
    charts = page.locator('svg[role="img"]')
    expect(charts).to_have_count(3)
    for name in ("Conversations par jour", "Transferts par raison", "Dépannage pas à pas"):
        expect(page.get_by_role("img", name=name)).to_be_visible()
    expect(page.locator("#chart-volume-desc")).to_contain_text("7 jours")
    # Bars were drawn (they have a size) and the numbers sit in tables beside them.
    assert page.locator("svg .bar.volume").first.bounding_box() is not None
    expect(page.locator("#table-reasons tbody tr")).not_to_have_count(0)
    expect(page.locator("#table-funnel tbody tr")).to_have_count(4)
    expect(page.locator("#table-satisfaction-channel tbody tr").first).not_to_contain_text("Rien")

    page.get_by_role("link", name="30 jours").click()
    expect(page.locator("#chart-volume-desc")).to_contain_text("30 jours")
    expect(page.locator('.ranges a[aria-current="page"]')).to_have_text("30 jours")
    page.set_viewport_size({"width": 1280, "height": 2900})  # the whole page in the picture
    screenshot(page, "dashboard-30-days-fr")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.locator('select[name="language"]').select_option("en")
    page.locator('select[name="channel"]').select_option("mail")
    page.get_by_role("button", name="Afficher").click()
    expect(page.locator("#range-caption")).to_contain_text("anglais · Courriel")
    page.locator(".lang-switch a").click()  # the English page
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()
    expect(page.locator("#range-caption")).to_contain_text("English · Email")  # the filters stayed
    page.set_viewport_size({"width": 1280, "height": 2900})
    screenshot(page, "dashboard-30-days-en-mail")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.goto(f"{dashboard_hub.url}/console/dashboard?from=2026-02-30")
    expect(page.get_by_role("alert")).to_contain_text("is not a valid date")
    assert refused == []
