"""Screenshots are for people: taking one never fails a test (issue 14, reliability)."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext

from .conftest import screenshot


def test_a_screenshot_that_cannot_be_taken_is_a_warning_not_a_failure(context: BrowserContext) -> None:
    page = context.new_page()
    page.set_content("<p>bonjour</p>")
    assert screenshot(page, "screenshot-helper-ok") is not None
    page.close()  # the browser can no longer capture it, as when Chromium is overloaded
    with pytest.warns(UserWarning, match="screenshot 'screenshot-helper-closed' not taken"):
        assert screenshot(page, "screenshot-helper-closed") is None
