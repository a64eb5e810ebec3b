"""A person gets help from the real assistant in the widget, in a real browser.

Runs against the real hub with the real Rasa and action servers behind it (the
``live_hub`` fixture starts them; the first test waits for the model to load). The
assertions follow article 1103's first step, which the assistant gives for "I can't log in".
"""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Page, expect

from .conftest import PHONE, screenshot
from .live_hub import Hub
from .widget_page import ChatWidget

LOGIN_PROBLEM_FR = "je n'arrive plus à me brancher"
ENGLISH = re.compile(r"\b(the|your|you|Step|browser|log in)\b")


def first_step_shown(chat: ChatWidget) -> None:
    """Type the login problem and check the assistant's first step, in French."""
    reply = chat.say_and_wait(LOGIN_PROBLEM_FR)
    expect(reply).to_contain_text("CONNEXION")
    expect(reply).to_contain_text("www.gem-books.com")
    expect(reply.get_by_role("link", name=re.compile(r"www\.gem-books\.com"))).to_have_attribute(
        "href", "https://www.gem-books.com/"
    )


def test_a_person_is_helped_in_french_then_english_and_keeps_the_conversation(
    page: Page, context: BrowserContext, live_hub: Hub
) -> None:
    chat = ChatWidget(page)
    page.goto(f"{live_hub.url}/demo")
    screenshot(page, "flow-01-demo-page")

    chat.open()
    expect(chat.input()).to_be_focused()
    screenshot(page, "flow-02-widget-open")

    # French: the first troubleshooting step, with a link that opens in a new tab.
    first_step_shown(chat)
    link = chat.replies.last.get_by_role("link", name=re.compile(r"www\.gem-books\.com")).first
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    screenshot(page, "flow-03-first-step-fr")

    # A quick reply: its title is shown as the person's message, its buttons are spent.
    buttons = chat.replies.last.get_by_role("group").get_by_role("button")
    expect(buttons.first).to_be_enabled()
    answered = chat.replies.count()
    said = chat.said.count()
    no = chat.replies.last.get_by_role("button", name=re.compile(r"^Non"))
    title = no.inner_text()
    no.click()
    expect(chat.said).to_have_count(said + 1)
    expect(chat.said.last).to_contain_text(title)
    next_step = chat.wait_for_replies(answered)
    expect(next_step).to_contain_text(re.compile(r"Étape|navigateur"))
    for button in chat.replies.nth(answered - 1).get_by_role("button").all():
        expect(button).to_be_disabled()
    screenshot(page, "flow-04-after-quick-reply")

    # English: the interface switches, and the assistant answers in English.
    chat.language_button("en").click()
    expect(chat.language_button("en")).to_have_attribute("aria-pressed", "true")
    expect(chat.input("en")).to_have_attribute("placeholder", "Type your message…")
    reply = chat.say_and_wait("I still can't log in", lang="en")
    expect(reply).to_contain_text(ENGLISH)
    screenshot(page, "flow-05-english")
    shown = chat.messages().count()

    # Reload: the same conversation comes back, in the language the person chose.
    page.reload()
    expect(chat.dialog).to_be_visible()  # it was open, it stays open
    expect(chat.messages()).to_have_count(shown)
    expect(chat.said.first).to_contain_text(LOGIN_PROBLEM_FR)
    expect(chat.language_button("en")).to_have_attribute("aria-pressed", "true")
    code = chat.resume_code()
    expect(chat.dialog.locator(".gb-code")).to_contain_text(
        f"Resume code: {code} — keep it in case you clear your cookies"
    )
    screenshot(page, "flow-06-after-reload")

    # Cookies and site data cleared, as the assistant advises: the widget starts afresh...
    context.clear_cookies()
    page.evaluate("localStorage.clear()")
    page.reload()
    expect(chat.dialog).to_be_hidden()
    chat.open()
    expect(chat.messages()).to_have_count(0)
    offer = chat.dialog.get_by_role("button", name="Reprendre une conversation")
    expect(offer).to_be_visible()

    # ...a wrong code is refused next to the field...
    offer.click()
    field = chat.dialog.get_by_role("textbox", name="Code de reprise")
    field.fill("ZZZZ-ZZZZ")
    field.press("Enter")
    expect(chat.dialog.get_by_role("alert")).to_contain_text("code de reprise")
    expect(chat.messages()).to_have_count(0)

    # ...and the right one brings the whole conversation back.
    field.fill(code.lower())
    screenshot(page, "flow-07-resume-form")
    field.press("Enter")
    expect(chat.messages()).to_have_count(shown)
    expect(chat.said.first).to_contain_text(LOGIN_PROBLEM_FR)
    expect(chat.code).to_have_text(code)
    screenshot(page, "flow-08-resumed")

    # The conversation goes on from there.
    reply = chat.say_and_wait("merci")
    expect(reply).to_be_visible()
    assert page.evaluate("localStorage.getItem('gemBooksChat.conversation_id')")


def test_markup_typed_by_a_person_shows_as_text(page: Page, live_hub: Hub) -> None:
    chat = ChatWidget(page)
    page.goto(f"{live_hub.url}/demo")
    chat.open()
    hostile = "<img src=x onerror=alert(1)>"
    chat.say_and_wait(hostile)
    expect(chat.said.last.locator(".gb-bubble")).to_have_text(re.compile(re.escape(hostile) + "$"))
    expect(chat.dialog.locator("img")).to_have_count(0)
    # Also after a round trip through the hub's database.
    page.reload()
    expect(chat.said.last.locator(".gb-bubble")).to_have_text(re.compile(re.escape(hostile) + "$"))
    expect(chat.dialog.locator("img")).to_have_count(0)
    # (The `page` fixture fails the test if any alert() opened.)


def test_the_widget_on_a_phone(browser_phone_page: Page, live_hub: Hub) -> None:
    page = browser_phone_page
    chat = ChatWidget(page)
    page.goto(f"{live_hub.url}/demo")
    screenshot(page, "flow-phone-01-page")
    chat.open()
    first_step_shown(chat)
    box = chat.dialog.bounding_box()
    assert box is not None and (box["x"], box["width"]) == (0, PHONE["width"])
    screenshot(page, "flow-phone-02-first-step")
