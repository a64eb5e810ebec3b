"""The widget's behaviour in a real browser, against a scripted hub (no Rasa needed).

These cover what the real assistant cannot be made to do on demand: hostile text,
errors, dropped connections, unknown resume codes. `test_chat_flow.py` runs the same
widget against the real hub and assistant.
"""

from __future__ import annotations

import re

from playwright.sync_api import BrowserContext, Page, expect

from .conftest import PHONE, screenshot
from .scripted_hub import ORIGIN, RESUMABLE_CODE, ScriptedHub
from .widget_page import ChatWidget

HOSTILE = (
    "Voir [l'aide de Chrome](https://support.google.com/chrome/answer/2392709) ou "
    "<https://www.gem-books.com>, puis www.gem-books.com. "
    "Pièges : [clic](javascript:alert(1)) javascript:alert(2) <img src=x onerror=alert(3)> "
    "<script>alert(4)</script> [data](data:text/html,<b>x</b>) **CONNEXION**"
)


def open_chat(page: Page, **kwargs: str) -> tuple[ScriptedHub, ChatWidget]:
    hub = ScriptedHub(page, **kwargs)
    page.goto(hub.demo_url)
    chat = ChatWidget(page)
    chat.open()
    expect(chat.status).to_be_hidden()  # welcome received
    return hub, chat


def test_bot_text_is_text_and_only_http_links_are_clickable(page: Page) -> None:
    hub, chat = open_chat(page)
    hub.say(HOSTILE)
    bubble = chat.replies.last.locator(".gb-bubble")

    links = bubble.get_by_role("link")
    expect(links).to_have_count(3)
    assert [links.nth(i).get_attribute("href") for i in range(3)] == [
        "https://support.google.com/chrome/answer/2392709",
        "https://www.gem-books.com/",
        "https://www.gem-books.com/",
    ]
    expect(links.first).to_have_accessible_name(re.compile("^l'aide de Chrome"))
    for i in range(3):
        expect(links.nth(i)).to_have_attribute("target", "_blank")
        expect(links.nth(i)).to_have_attribute("rel", "noopener noreferrer")
    # The sentence's full stop is not part of the link.
    expect(links.nth(2)).to_have_accessible_name(re.compile(r"^www\.gem-books\.com \("))

    # Everything else is shown exactly as written, and nothing in it ran.
    for fragment in ("[clic](javascript:alert(1))", "<img src=x onerror=alert(3)>",
                     "<script>alert(4)</script>", "[data](data:text/html,<b>x</b>)"):  # fmt: skip
        expect(bubble).to_contain_text(fragment)
    expect(chat.log.locator("img, script, b, a[href^='javascript'], a[href^='data']")).to_have_count(0)
    expect(bubble.locator("strong")).to_have_text("CONNEXION")
    screenshot(page, "behaviour-hostile-text")


def test_a_link_opens_in_a_new_tab_without_access_to_the_widget(page: Page, context: BrowserContext) -> None:
    context.route("https://www.gem-books.com/**", lambda route: route.fulfill(body="GEM-BOOKS"))
    hub, chat = open_chat(page)
    hub.say("Allez sur https://www.gem-books.com et cliquez sur CONNEXION.")
    with context.expect_page() as opened:
        chat.replies.last.get_by_role("link").click()
    new_tab = opened.value
    new_tab.wait_for_load_state()
    assert new_tab.url == "https://www.gem-books.com/"
    assert new_tab.evaluate("window.opener") is None


def test_what_a_person_types_is_shown_as_typed(page: Page) -> None:
    hub, chat = open_chat(page)
    chat.say("<img src=x onerror=alert(1)> https://evil.example/")
    expect(chat.said.last.locator(".gb-bubble")).to_have_text(
        re.compile(r"<img src=x onerror=alert\(1\)> https://evil\.example/$")
    )
    expect(chat.said.last.locator("img, a")).to_have_count(0)
    assert hub.frames("message")[-1]["text"] == "<img src=x onerror=alert(1)> https://evil.example/"


def test_quick_replies_send_their_payload_and_only_the_latest_stay_active(page: Page) -> None:
    hub, chat = open_chat(page)
    hub.say("Est-ce que ça a fonctionné?", [
        {"title": "Oui, ça fonctionne", "payload": "/affirm"},
        {"title": "Non", "payload": "/deny"},
    ])  # fmt: skip
    first = chat.replies.nth(0).get_by_role("group", name="Réponses suggérées")
    first.get_by_role("button", name="Non").click()

    assert hub.frames("message")[-1] == {"type": "message", "text": "Non", "payload": "/deny"}
    expect(chat.said.last).to_contain_text("Non")
    expect(first.get_by_role("button")).to_have_count(2)
    for button in first.get_by_role("button").all():
        expect(button).to_be_disabled()

    hub.say("Étape 2 — Essayez l'autre navigateur.", [{"title": "Non", "payload": "/deny"}])
    expect(chat.replies.last.get_by_role("button", name="Non")).to_be_enabled()
    expect(first.get_by_role("button", name="Non")).to_be_disabled()

    # A transcript shown after a reload follows the same rule.
    page.reload()
    expect(chat.replies).to_have_count(2)
    expect(chat.replies.first.get_by_role("button", name="Non")).to_be_disabled()
    expect(chat.replies.last.get_by_role("button", name="Non")).to_be_enabled()


def test_typing_indicator_shows_while_the_assistant_works(page: Page) -> None:
    hub, chat = open_chat(page)
    hub.push({"type": "typing", "on": True})
    expect(chat.typing).to_be_visible()
    expect(chat.typing).to_have_attribute("role", "status")
    expect(chat.typing).to_contain_text("L'assistant écrit…")
    screenshot(page, "behaviour-typing")
    hub.say("Voici la réponse.")
    expect(chat.typing).to_be_hidden()


def test_errors_from_the_hub_show_in_the_conversation(page: Page) -> None:
    hub, chat = open_chat(page)
    chat.say("bonjour")
    text = ("L'assistant est momentanément indisponible. Votre message est bien enregistré. "
            "Pour une réponse rapide, écrivez-nous à soutien@gem-books.com.")  # fmt: skip
    hub.push({"type": "error", "code": "assistant_unavailable", "message": text})
    error = chat.messages("system").last
    expect(error).to_have_class(re.compile("gb-msg--error"))
    expect(error).to_contain_text(text)
    screenshot(page, "behaviour-error")


def test_a_dropped_connection_shows_and_comes_back(page: Page) -> None:
    hub, chat = open_chat(page)
    chat.say("bonjour")
    hub.answering = False
    hub.ws.close(code=1011, reason="server restart")

    expect(chat.status).to_be_visible()
    expect(chat.status).to_contain_text("Connexion perdue")
    # What the person types meanwhile waits, marked as not sent yet.
    chat.say("toujours là?")
    expect(chat.said.last).to_have_class(re.compile("gb-msg--pending"))
    screenshot(page, "behaviour-reconnecting")

    # It comes back by itself (backoff starts around a second) to the same conversation,
    # and sends what was waiting.
    hub.wait_for_connections(2)
    hub.answer_held_hellos()
    expect(chat.status).to_be_hidden(timeout=10_000)
    assert len(hub.connections) == 2
    assert hub.frames("hello")[-1]["conversation_id"] == "conv-new"
    expect(chat.said.last).not_to_have_class(re.compile("gb-msg--pending"))
    expect(chat.said).to_have_count(2)  # the transcript was not drawn twice
    assert hub.frames("message")[-1]["text"] == "toujours là?"


def test_keyboard_focus_and_aria(page: Page) -> None:
    hub = ScriptedHub(page)
    page.goto(hub.demo_url)
    chat = ChatWidget(page)

    expect(chat.launcher).to_have_attribute("aria-expanded", "false")
    expect(chat.launcher).to_have_accessible_name(re.compile("Ouvrir le clavardage"))
    chat.launcher.focus()
    page.keyboard.press("Enter")
    expect(chat.dialog).to_be_visible()
    expect(chat.launcher).to_have_attribute("aria-expanded", "true")
    expect(chat.input()).to_be_focused()
    expect(chat.log).to_have_attribute("aria-live", "polite")
    expect(chat.dialog.get_by_role("heading", name="Soutien GEM-BOOKS")).to_be_visible()
    expect(chat.language_button("fr")).to_have_attribute("aria-pressed", "true")
    expect(chat.status).to_be_hidden()

    def focused() -> str:
        return page.evaluate(
            """() => {
                const el = document.getElementById('gem-books-chat').shadowRoot.activeElement;
                if (!el) return '';
                const label = el.labels && el.labels[0] ? el.labels[0].textContent : '';
                return el.getAttribute('aria-label') || label || el.textContent.trim();
            }"""
        )

    chat.language_button("fr").focus()
    order = [focused()]
    for _ in range(7):
        page.keyboard.press("Tab")
        order.append(focused())
    assert order == [
        "Français", "English", "Fermer le clavardage", "Conversation",
        "Reprendre une conversation", "Votre message", "Envoyer", "Fermer le clavardage",
    ], order  # fmt: skip
    # The focus ring is visible when moving by keyboard.
    outline = page.evaluate(
        "() => getComputedStyle(document.getElementById('gem-books-chat')"
        ".shadowRoot.activeElement).outlineStyle"
    )
    assert outline not in ("", "none")

    chat.input().focus()
    page.keyboard.press("Escape")
    expect(chat.dialog).to_be_hidden()
    expect(chat.launcher).to_be_focused()
    expect(chat.launcher).to_have_attribute("aria-expanded", "false")


def test_interface_language_follows_the_page_and_the_switch_is_remembered(page: Page) -> None:
    hub, chat = open_chat(page, html_lang="en")
    expect(chat.dialog.get_by_role("heading", name="GEM-BOOKS Support")).to_be_visible()
    expect(chat.input("en")).to_have_attribute("placeholder", "Type your message…")
    assert hub.frames("hello")[-1]["language"] == "en"
    assert hub.frames("hello")[-1]["user_agent"] == page.evaluate("navigator.userAgent")

    chat.language_button("fr").click()
    expect(chat.input("fr")).to_have_attribute("placeholder", "Écrivez votre message…")
    expect(chat.language_button("fr")).to_have_attribute("aria-pressed", "true")
    expect(chat.language_button("en")).to_have_attribute("aria-pressed", "false")
    assert hub.frames("set_language") == [{"type": "set_language", "language": "fr"}]

    page.reload()  # an English page, but the person chose French
    expect(chat.dialog.get_by_role("heading", name="Soutien GEM-BOOKS")).to_be_visible()
    assert hub.frames("hello")[-1]["language"] == "fr"


def test_the_interface_follows_the_language_the_assistant_detected_unless_the_person_chose(
    page: Page,
) -> None:
    # A French page; the person writes in English and the assistant answers in English.
    hub, chat = open_chat(page)
    expect(chat.input("fr")).to_have_attribute("placeholder", "Écrivez votre message…")
    hub.push(
        {"type": "message", "author": "assistant", "text": "Step 1 — ...", "buttons": [], "language": "en"}
    )
    expect(chat.input("en")).to_have_attribute("placeholder", "Type your message…")
    expect(chat.language_button("en")).to_have_attribute("aria-pressed", "true")
    expect(chat.replies.last.locator(".gb-bubble")).to_contain_text("Step 1 — ...")
    assert hub.frames("set_language") == []  # not the person's choice: nothing to tell the hub
    # An agent's or the hub's notice carries no detected language and changes nothing.
    hub.push({"type": "message", "author": "agent", "text": "Bonjour", "buttons": [], "language": "fr"})
    expect(chat.input("en")).to_have_attribute("placeholder", "Type your message…")

    # Once the person picks a language with the switch, it stays.
    chat.language_button("fr").click()
    expect(chat.input("fr")).to_have_attribute("placeholder", "Écrivez votre message…")
    hub.push(
        {"type": "message", "author": "assistant", "text": "Step 2 — ...", "buttons": [], "language": "en"}
    )
    expect(chat.replies.last.locator(".gb-bubble")).to_contain_text("Step 2 — ...")
    expect(chat.input("fr")).to_have_attribute("placeholder", "Écrivez votre message…")
    assert hub.frames("set_language") == [{"type": "set_language", "language": "fr"}]


def test_resume_with_a_code_after_storage_was_cleared(page: Page) -> None:
    hub, chat = open_chat(page)
    expect(chat.messages()).to_have_count(0)
    expect(chat.code).to_be_hidden()  # nothing worth resuming yet
    offer = chat.dialog.get_by_role("button", name="Reprendre une conversation")
    offer.click()
    expect(offer).to_have_attribute("aria-expanded", "true")
    field = chat.dialog.get_by_role("textbox", name="Code de reprise")
    expect(field).to_be_focused()

    field.fill("zzzz-zzzz")
    field.press("Enter")
    alert = chat.dialog.get_by_role("alert")
    expect(alert).to_have_text("Ce code de reprise est inconnu ou a expiré.")
    expect(chat.messages()).to_have_count(0)  # the error is next to the field, not in the log
    assert hub.frames("hello")[-1]["conversation_id"] == "conv-new"  # stay here if it fails
    screenshot(page, "behaviour-resume-unknown-code")

    field.fill(RESUMABLE_CODE.lower().replace("-", " "))
    field.press("Enter")
    expect(chat.said.first).to_have_text(re.compile("je n'arrive plus à me brancher"))
    expect(chat.replies.first.get_by_role("link")).to_have_attribute("href", "https://www.gem-books.com/")
    expect(chat.code).to_have_text(RESUMABLE_CODE)
    expect(field).to_be_hidden()  # the form folds away; the offer stays for another time
    expect(offer).to_have_attribute("aria-expanded", "false")
    expect(chat.input()).to_be_focused()
    assert len(hub.connections) == 1  # resumed on the open connection
    stored = page.evaluate("localStorage.getItem('gemBooksChat.conversation_id')")
    assert stored == "conv-resumed"
    expect(chat.dialog.locator(".gb-code")).to_contain_text(
        f"Code de reprise : {RESUMABLE_CODE} — gardez-le si vous videz vos témoins"
    )


def test_messages_that_arrive_while_closed_are_counted_on_the_launcher(page: Page) -> None:
    hub, chat = open_chat(page)
    chat.say("je veux parler à quelqu'un")
    page.keyboard.press("Escape")
    hub.say("Bonjour, ici Julie du soutien. Je regarde votre dossier.", author="agent")
    expect(chat.launcher.locator(".gb-badge")).to_have_text("1")
    expect(chat.launcher).to_have_accessible_name(re.compile("1 nouveau"))
    chat.open()
    expect(chat.launcher.locator(".gb-badge")).to_be_hidden()
    agent = chat.messages("agent").last
    expect(agent).to_contain_text("Conseiller GEM-BOOKS")
    expect(agent).to_contain_text("Julie du soutien")


def test_one_script_tag_and_nothing_from_elsewhere(page: Page) -> None:
    hub, _ = open_chat(page)
    expect(page.locator("script")).to_have_count(1)
    expect(page.locator("script")).to_have_attribute("src", "/static/widget.js")
    third_party = [url for url in hub.requests if not url.startswith(ORIGIN)]
    assert third_party == []
    assert page.evaluate("typeof window.GemBooksChat.open") == "function"


def test_usable_on_a_phone(browser_phone_page: Page) -> None:
    page = browser_phone_page
    hub, chat = open_chat(page)
    chat.say("je n'arrive plus à me brancher")
    hub.say("Étape 1 — Allez sur https://www.gem-books.com et cliquez sur le bouton rouge CONNEXION en haut à droite.", [
        {"title": "Oui, ça fonctionne", "payload": "/affirm"},
        {"title": "Non", "payload": "/deny"},
    ])  # fmt: skip
    box = chat.dialog.bounding_box()
    assert box is not None and box["width"] == PHONE["width"] and box["x"] == 0
    expect(chat.launcher).to_be_hidden()  # the panel covers the screen and has its own close
    overflow = page.evaluate(
        "() => { const log = document.getElementById('gem-books-chat').shadowRoot"
        ".querySelector('.gb-log'); return log.scrollWidth - log.clientWidth; }"
    )
    assert overflow <= 0
    screenshot(page, "behaviour-phone-375")
    chat.dialog.get_by_role("button", name="Fermer le clavardage").click()
    expect(chat.launcher).to_be_visible()


def test_resume_still_offered_after_typing_in_a_fresh_conversation(page: Page) -> None:
    hub, chat = open_chat(page)
    chat.say("bonjour")  # typed before noticing the resume offer
    chat.log.evaluate("log => log.scrollTo(0, 0)")
    chat.dialog.get_by_role("button", name="Reprendre une conversation").click()
    field = chat.dialog.get_by_role("textbox", name="Code de reprise")
    field.fill(RESUMABLE_CODE)
    field.press("Enter")
    # The resumed conversation replaces the one just started.
    expect(chat.said).to_have_count(1)
    expect(chat.said.first).to_contain_text("je n'arrive plus à me brancher")
    expect(chat.code).to_have_text(RESUMABLE_CODE)
    assert hub.frames("hello")[-1]["resume_code"] == "K7P4M2QX"
