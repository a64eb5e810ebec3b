"""A person asks for a human in the widget and an agent answers from the console.

Two browser contexts (two people, two cookie jars) against the real hub and the real
assistant: the agent signs in and keeps the console open (so an agent is online), the
person asks "je veux parler à un agent", the agent sees the handoff and its packet,
claims it, answers; the person sees the answer; the agent hands back; the assistant
answers again, in French.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, WebSocketRoute, expect

from .conftest import DESKTOP, screenshot
from .live_hub import Hub, LiveHub
from .widget_page import ChatWidget


@pytest.fixture
def agent_page(browser: Browser) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(viewport=DESKTOP, locale="fr-CA")
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: errors.append(f"dialog opened: {dialog.message}"))
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the console: {errors}"


def sign_in(agent_page: Page, live_hub: Hub) -> None:
    """The agent signs in; the queue is shown, live."""
    if not isinstance(live_hub, LiveHub):
        pytest.skip("needs the test's own hub (it creates the agent)")
    email, _name, password = LiveHub.AGENT
    agent_page.goto(f"{live_hub.url}/console")
    expect(agent_page).to_have_url(re.compile(r"/console/login$"))
    agent_page.get_by_label("Courriel").fill(email)
    agent_page.get_by_label("Mot de passe").fill(password)
    agent_page.get_by_role("button", name="Se connecter").click()
    expect(agent_page.get_by_role("heading", name="Conversations transférées")).to_be_visible()
    expect(agent_page.locator("body[data-connected=true]")).to_have_count(1)


def test_a_person_is_answered_by_an_agent_and_then_by_the_assistant_again(
    page: Page, agent_page: Page, live_hub: Hub
) -> None:

    # The agent signs in and waits on the queue: an agent is online.
    sign_in(agent_page, live_hub)
    screenshot(agent_page, "handoff-01-console-empty")

    # The person asks for a human.
    chat = ChatWidget(page)
    page.goto(f"{live_hub.url}/demo")
    chat.open()
    chat.say_and_wait("je n'arrive plus à me brancher")
    reply = chat.say_and_wait("je veux parler à un agent")
    expect(reply).to_contain_text("Un agent est en ligne")
    expect(chat.messages("system").last).to_contain_text(
        "Le soutien GEM-BOOKS a maintenant votre conversation"
    )
    screenshot(page, "handoff-02-person-handed-over")

    # The queue updates by itself; the agent opens the handoff and sees the packet.
    row = agent_page.locator("table.queue tbody tr").first
    # The console is in French by default: codes are shown with their French labels.
    expect(row).to_contain_text("demandé par la personne")
    expect(row).to_contain_text("français")
    screenshot(agent_page, "handoff-03-console-queue")
    row.get_by_role("link").click()
    transcript = agent_page.locator("#transcript")
    expect(transcript).to_contain_text("je veux parler à un agent")
    expect(transcript.locator(".line--person .nlu").last).to_contain_text("request_human")
    packet = agent_page.locator("aside.packet")
    expect(packet).to_contain_text("demandé par la personne")
    expect(packet).to_contain_text("chrome")  # the browser, from the widget's user agent
    agent_page.get_by_role("button", name="Prendre cette conversation").click()

    # The person writes again: the message reaches the open conversation page live.
    chat.say("Mon écran reste blanc après la connexion")
    expect(transcript).to_contain_text("Mon écran reste blanc")
    agent_page.get_by_label("Réponse à la personne").fill(
        "Bonjour! Je suis Agent Test, je regarde votre dossier."
    )
    agent_page.get_by_role("button", name="Envoyer").click()
    screenshot(agent_page, "handoff-04-console-conversation")

    agent_line = chat.messages("agent").last
    expect(agent_line).to_contain_text("je regarde votre dossier")
    screenshot(page, "handoff-05-person-sees-agent")

    # The agent hands back; the assistant answers again, in French.
    agent_page.get_by_role("button", name="Redonner à l'assistant").click()
    expect(chat.replies.last).to_contain_text("Je suis de retour")
    answer = chat.say_and_wait("j'ai oublié mon mot de passe")
    expect(answer).to_contain_text(re.compile(r"mot de passe|code d'utilisateur|courriel"))
    screenshot(page, "handoff-06-assistant-again")


def test_console_pages_that_lost_their_connection_catch_up(
    page: Page, agent_page: Page, live_hub: Hub
) -> None:
    sign_in(agent_page, live_hub)

    # A second console tab whose sockets, while ``holding``, never reach the hub (as when a
    # network drops): the page shows as connected, and hears nothing.
    cut_off = agent_page.context.new_page()
    holding, held = [True], list[WebSocketRoute]()

    def hold_or_connect(ws: WebSocketRoute) -> None:
        if holding[0]:
            held.append(ws)
        else:
            ws.connect_to_server()

    def drop_the_connection() -> None:
        holding[0] = False
        held.pop().close(code=4000, reason="network gone")

    cut_off.route_web_socket(re.compile(r"/console/ws"), hold_or_connect)
    cut_off.goto(agent_page.url)
    expect(cut_off.locator("body[data-connected=true]")).to_have_count(1)

    # The queue: the handoff arrives while the tab is cut off; it reloads on reconnecting.
    chat = ChatWidget(page)
    page.goto(f"{live_hub.url}/demo")
    chat.open()
    chat.say_and_wait("je veux parler à un agent")
    queued = "table.queue tbody tr"
    expect(agent_page.locator(queued, has_text="demandé par la personne")).to_have_count(1)
    expect(cut_off.locator(queued, has_text="demandé par la personne")).to_have_count(0)
    drop_the_connection()
    expect(cut_off.locator(queued, has_text="demandé par la personne")).to_have_count(1)

    # A conversation: the person writes while the tab is cut off; on reconnecting it gets
    # the line it missed, once, in its place.
    agent_page.locator(queued, has_text="demandé par la personne").get_by_role("link").click()
    expect(agent_page.locator("body[data-connected=true]")).to_have_count(1)
    holding[0] = True
    cut_off.goto(agent_page.url)
    expect(cut_off.locator("body[data-connected=true]")).to_have_count(1)
    chat.say("Mon écran reste blanc après la connexion")
    expect(agent_page.locator("#transcript")).to_contain_text("Mon écran reste blanc")  # written, live
    lines = cut_off.locator("#transcript > li")
    expect(lines.last).not_to_contain_text("Mon écran reste blanc")
    drop_the_connection()
    expect(lines.last).to_contain_text("Mon écran reste blanc")
    expect(lines.filter(has_text="Mon écran reste blanc")).to_have_count(1)
    cut_off.close()
