"""The chat widget as a test sees it: a person's actions and what is on screen.

Usage::

    chat = ChatWidget(page)
    chat.open()
    chat.say("je n'arrive plus à me brancher")
    expect(chat.replies.last).to_contain_text("CONNEXION")

The widget lives in an open shadow root; Playwright's locators (CSS and role) pierce it.
Roles and accessible names are used where a person would rely on them, so these tests
also check that the widget is labelled for screen readers.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

__all__ = ["ChatWidget"]

LABELS = {
    "fr": {"input": "Votre message", "send": "Envoyer", "resume": "Reprendre une conversation"},
    "en": {"input": "Your message", "send": "Send", "resume": "Resume a conversation"},
}


class ChatWidget:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.launcher = page.locator(".gb-launcher")
        self.dialog = page.get_by_role("dialog", name=re.compile("GEM-BOOKS"))
        self.log = page.get_by_role("log")
        self.typing = page.locator(".gb-typing")
        self.status = page.locator(".gb-status")
        self.code = page.locator(".gb-code__value")

    # ---------------------------------------------------------------- what is shown

    def messages(self, author: str | None = None) -> Locator:
        selector = f'.gb-msg[data-author="{author}"]' if author else ".gb-msg"
        return self.log.locator(selector)

    @property
    def replies(self) -> Locator:
        """The assistant's messages, oldest first."""
        return self.messages("assistant")

    @property
    def said(self) -> Locator:
        """The person's messages, oldest first."""
        return self.messages("person")

    def input(self, lang: str = "fr") -> Locator:
        return self.dialog.get_by_role("textbox", name=LABELS[lang]["input"])

    def language_button(self, lang: str) -> Locator:
        return self.dialog.get_by_role("button", name="Français" if lang == "fr" else "English")

    # ---------------------------------------------------------------- what a person does

    def open(self) -> None:
        self.launcher.click()
        expect(self.dialog).to_be_visible()

    def say(self, text: str, lang: str = "fr") -> None:
        """Type a message and press Enter; wait until it shows as the person's."""
        before = self.said.count()
        box = self.input(lang)
        box.fill(text)
        box.press("Enter")
        expect(self.said).to_have_count(before + 1)
        expect(self.said.last).to_contain_text(text)

    def wait_for_replies(self, count_before: int) -> Locator:
        """The assistant's latest message once all of this turn's replies are in.

        The assistant may answer one message with several (a greeting, then a step).
        """
        expect(self.replies.nth(count_before)).to_be_visible(timeout=60_000)
        expect(self.typing).to_be_hidden()
        count = self.replies.count()
        while True:  # settled: no new reply for a moment
            self.page.wait_for_timeout(400)
            now = self.replies.count()
            if now == count:
                return self.replies.last
            count = now

    def say_and_wait(self, text: str, lang: str = "fr") -> Locator:
        before = self.replies.count()
        self.say(text, lang)
        return self.wait_for_replies(before)

    def resume_code(self) -> str:
        expect(self.code).to_have_text(re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}$"))
        return self.code.inner_text()
