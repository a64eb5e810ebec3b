"""The widget's "Did this help?" card in a real browser, against a scripted hub: what is
sent, accessibility, refusals and the language (the real hub: test_satisfaction.py)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .scripted_hub import ScriptedHub
from .test_widget_behaviour import open_chat

ASKED_EN = {
    "type": "satisfaction",
    "state": "asked",
    "language": "en",
    "question": "Did this help?",
    "options": [{"answer": "yes", "title": "Yes"}, {"answer": "no", "title": "No"}],
}


def test_the_card_asks_in_the_hubs_language_and_sends_a_frame_not_a_message(page: Page) -> None:
    hub, chat = open_chat(page)  # a French page
    hub.say("Excellent, content que ça fonctionne!")
    hub.push(ASKED_EN)
    card = page.get_by_role("group", name="Did this help?")
    expect(card).to_be_visible()
    expect(card).to_have_attribute("lang", "en")
    comment = card.get_by_role("textbox", name="A comment? (optional)")
    expect(comment).to_have_attribute("maxlength", "1000")
    comment.fill("The bookmark was the problem <b>really</b>")
    card.get_by_role("button", name="No", exact=True).click()
    expect(card.get_by_role("button", name="No", exact=True)).to_be_disabled()
    page.wait_for_timeout(200)
    assert hub.frames("satisfaction") == [
        {"type": "satisfaction", "answer": "no", "comment": "The bookmark was the problem <b>really</b>"}
    ]
    assert hub.frames("message") == []

    # A refusal shows in the card, and the buttons work again.
    hub.push({"type": "error", "code": "bad_request", "message": "That answer could not be read."})
    expect(card).to_contain_text("That answer could not be read.")
    expect(card.get_by_role("button", name="Yes", exact=True)).to_be_enabled()
    expect(chat.messages("system")).to_have_count(0)
    card.get_by_role("button", name="Yes", exact=True).click()
    hub.push(
        {
            "type": "satisfaction",
            "state": "answered",
            "answer": "yes",
            "message": "Thank you for your answer!",
        }
    )
    expect(page.locator(".gb-survey--done")).to_have_text("Thank you for your answer!")
    expect(page.get_by_role("group", name="Did this help?")).to_have_count(0)
    assert [f["answer"] for f in hub.frames("satisfaction")] == ["no", "yes"]


def test_a_new_welcome_clears_the_card_and_the_launcher_counts_it(page: Page) -> None:
    hub = ScriptedHub(page)
    page.goto(hub.demo_url)
    chat_launcher = page.locator(".gb-launcher")
    chat_launcher.click()
    expect(page.locator(".gb-status")).to_be_hidden()
    chat_launcher.click()  # closed again: the question counts as unread
    hub.push({**ASKED_EN, "language": "fr", "question": "Est-ce que ça vous a aidé ?",
              "options": [{"answer": "yes", "title": "Oui"}, {"answer": "no", "title": "Non"}]})  # fmt: skip
    expect(chat_launcher).to_have_attribute(
        "aria-label", "Ouvrir le clavardage avec le soutien GEM-BOOKS. 1 nouveau(x) message(s)"
    )
    chat_launcher.click()
    card = page.get_by_role("group", name="Est-ce que ça vous a aidé ?")
    expect(card.get_by_role("textbox", name="Un commentaire? (facultatif)")).to_be_visible()
    hub.ws.close()  # the connection drops; the next welcome has no question
    expect(card).to_have_count(0, timeout=15_000)
