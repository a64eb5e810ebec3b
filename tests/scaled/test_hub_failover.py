"""One hub killed (SIGKILL) mid-conversation: the widget, in a real browser on the page
served through haproxy, reconnects to the other hub and the conversation goes on with
its history.

haproxy is told to send everything to hub A while the conversation starts (so we know
which hub to kill), then both are in the pool again and hub A is killed without warning.
The hub is started again at the end, for the modules after this one.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, screenshot
from tests.browser.widget_page import ChatWidget
from tests.scaled.conftest import Topology

LOGIN_PROBLEM_FR = "je n'arrive plus à me brancher"


# Module scope: Playwright's sync API keeps an event loop in the main thread while it is
# open, and the other modules of this package run theirs with asyncio.run.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)", pytrace=False)
    playwright: Playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="fr-CA")
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def wait_for(condition: object, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def widget_sockets(topology: Topology, hub: str) -> int:
    """WebSockets haproxy opened to ``hub`` so far (logged as they open)."""
    return sum(
        1 for server, method, path in topology.haproxy.requests("hubs") if server == hub and path == "/ws"
    )


def test_the_widget_goes_on_with_the_other_hub_when_its_hub_is_killed(topology: Topology, page: Page) -> None:
    haproxy, stack = topology.haproxy, topology.stack
    chat = ChatWidget(page)
    sockets_on_b = widget_sockets(topology, "hub-b")
    haproxy.command("disable server hubs/hub-b")
    try:
        page.goto(f"{stack.public_url}/demo")
        chat.open()
        first = chat.say_and_wait(LOGIN_PROBLEM_FR)
        expect(first).to_contain_text("CONNEXION")
        assert widget_sockets(topology, "hub-a") >= 1
    finally:
        haproxy.command("enable server hubs/hub-b")
    wait_for(lambda: {r["svname"]: r["status"] for r in haproxy.servers() if r["pxname"] == "hubs"}["hub-b"] == "UP",
             "hub B back in the pool")  # fmt: skip
    screenshot(page, "scaled-01-on-hub-a")
    answered = chat.replies.count()

    stack.kill_hub(0)
    try:
        expect(chat.status).to_contain_text("Connexion perdue")
        # The widget notices, reconnects through haproxy, and only hub B is left.
        wait_for(
            lambda: widget_sockets(topology, "hub-b") > sockets_on_b, "the widget's reconnection to hub B"
        )
        expect(chat.status).to_be_hidden(timeout=30_000)
        reply = chat.say_and_wait("non")
        expect(reply).to_contain_text(re.compile(r"Étape|navigateur"))
        expect(chat.said).to_have_count(2)
        expect(chat.said.first).to_contain_text(LOGIN_PROBLEM_FR)
        assert chat.replies.count() > answered
        screenshot(page, "scaled-02-on-hub-b-after-hub-a-died")

        # Reloaded, the page gets the whole conversation from hub B (the shared database).
        shown = chat.messages().count()
        page.reload()
        expect(chat.messages()).to_have_count(shown)
        expect(chat.said.first).to_contain_text(LOGIN_PROBLEM_FR)
        expect(chat.said.last).to_contain_text("non")
    finally:
        topology.call(stack.restart_hub(0))
