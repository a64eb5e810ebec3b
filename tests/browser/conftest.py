"""Fixtures for the widget's tests in a real browser (Debian's Chromium, driven by Playwright).

Two kinds of tests use them:

- ``live_hub``: the real hub with the real assistant behind it (slow to start, once per run);
- ``fake_site``: the widget's own files served by Playwright itself, with a scripted hub
  on the WebSocket, for what the real assistant cannot be made to say on demand.

Screenshots go to ``tests/screenshots/`` (not committed) so a person can look at them.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from .live_hub import Hub, LiveHub, RunningHub

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "tests" / "screenshots"
# A screenshot that takes longer than this is given up (a warning, not a failure).
SCREENSHOT_TIMEOUT_MS = 15_000

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}


# Package scope, not session: Playwright's sync API keeps an event loop running in the main
# thread while it is open, and the asyncio tests collected after this package need it gone.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the widget tests need a real browser."
            " Install it with `apt-get install -y chromium` (Playwright's own browser"
            " downloads are not used).",
            pytrace=False,
        )
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP, locale="fr-CA")
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # The widget must never open a dialog: an alert() would mean injected script ran.
    page.on("dialog", lambda dialog: errors.append(f"dialog opened: {dialog.message}"))
    yield page
    assert not errors, f"JavaScript errors in the page: {errors}"


@pytest.fixture
def browser_phone_page(browser: Browser) -> Iterator[Page]:
    """A page in a 375-pixel-wide phone viewport, with touch."""
    context = browser.new_context(viewport=PHONE, locale="fr-CA", has_touch=True, is_mobile=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(scope="session", autouse=True)
def _expect_timeout() -> None:
    # The real assistant answers in a second or two; the first answer after start-up
    # (models warming up) can take longer.
    expect.set_options(timeout=30_000)


@pytest.fixture(scope="session")
def live_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """The real hub and assistant, started for this run.

    GEM_BROWSER_TEST_HUB=http://127.0.0.1:8000 uses a hub that is already running
    instead (quicker while working on the widget; it must have a trained model behind it).
    """
    existing = os.environ.get("GEM_BROWSER_TEST_HUB", "").rstrip("/")
    if existing:
        yield RunningHub(existing)
        return
    with LiveHub(tmp_path_factory.mktemp("live-hub")) as hub:
        yield hub


def screenshot(page: Page, name: str) -> Path | None:
    """Save a full-window screenshot as tests/screenshots/<name>.png, if the browser can.

    Screenshots are for people to look at, not part of what a test checks: on a loaded
    machine Chromium sometimes answers "Unable to capture screenshot", and that must not
    fail the test. A failure is a warning and ``None``.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    try:
        # Finished animations: the panel fades in, and a half-faded panel helps no one.
        page.screenshot(path=str(path), animations="disabled", timeout=SCREENSHOT_TIMEOUT_MS)
    except PlaywrightError as error:  # TimeoutError is one too
        warnings.warn(f"screenshot {name!r} not taken: {error.message.splitlines()[0]}", stacklevel=2)
        return None
    return path
