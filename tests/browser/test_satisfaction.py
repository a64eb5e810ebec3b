"""Satisfaction and what to teach next, in a real browser against the real hub and assistant.

- A person solves a login problem at step 1 in the widget, is asked "Est-ce que ça vous a
  aidé ?", comments and clicks "Oui"; the answer is in the hub's database. The same in
  English, answered "No".
- An agent reviews what the assistant should learn: a message of the conversation that
  answered "No" is on the review page; the agent picks its intent; the export (the real
  command) contains it.
- An automatic mail answer's "I still need help" link, opened in the browser, reopens the
  thread as a ticket the agent sees in the console.
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, expect

from .conftest import DESKTOP, PROJECT_ROOT, screenshot
from .live_hub import Hub, LiveHub
from .test_mail_ticket_flow import deliver
from .widget_page import ChatWidget

_LINK = re.compile(r"https?://\S+/feedback\?token=[^\s\"<>]+")


@pytest.fixture
def own_hub(live_hub: Hub) -> LiveHub:
    if not isinstance(live_hub, LiveHub):
        pytest.skip("needs the test's own hub (its database, agent and mail servers)")
    return live_hub


@pytest.fixture
def agent_page(browser: Browser) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(viewport=DESKTOP, locale="fr-CA")
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors in the console: {errors}"


def answers(hub: LiveHub, conversation_id: str) -> list[tuple[str, ...]]:
    with sqlite3.connect(hub.work_dir / "hub.db") as db:
        return db.execute(
            "SELECT channel, language, topic, step, resolved_by, answer, comment FROM satisfaction"
            " WHERE conversation_id = ?",
            (conversation_id,),
        ).fetchall()


def conversation_id(page: Page) -> str:
    value = page.evaluate("localStorage.getItem('gemBooksChat.conversation_id')")
    assert isinstance(value, str) and value
    return value


def solve_at_step_one(chat: ChatWidget, problem: str, yes: str, lang: str) -> None:
    reply = chat.say_and_wait(problem, lang)
    expect(reply).to_contain_text("CONNEXION")
    before = chat.replies.count()
    reply.get_by_role("button", name=yes).click()
    chat.wait_for_replies(before)


def sign_in(page: Page, hub: LiveHub) -> None:
    email, _name, password = LiveHub.AGENT
    page.goto(f"{hub.url}/console/login")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Conversations transférées")).to_be_visible()


def test_the_widget_asks_once_and_the_answer_is_stored_then_reviewed_and_exported(
    page: Page, agent_page: Page, own_hub: LiveHub, tmp_path: Path
) -> None:
    chat = ChatWidget(page)
    page.goto(f"{own_hub.url}/demo")
    chat.open()
    solve_at_step_one(chat, "je n'arrive plus à me brancher", "Oui, ça fonctionne", "fr")

    card = page.locator(".gb-survey")
    expect(card).to_be_visible()
    expect(page.get_by_role("group", name="Est-ce que ça vous a aidé ?")).to_be_visible()
    card.get_by_label("Un commentaire? (facultatif)").fill("Le vieux favori, c'était ça!")
    screenshot(page, "satisfaction-01-asked-fr")
    card.get_by_role("button", name="Oui", exact=True).click()
    expect(page.locator(".gb-survey--done")).to_contain_text("Merci de votre réponse!")
    screenshot(page, "satisfaction-02-answered-fr")
    french = conversation_id(page)
    deadline = time.monotonic() + 10
    while not answers(own_hub, french) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert answers(own_hub, french) == [
        ("widget", "fr", "login_problem", "main_site", "assistant", "yes", "Le vieux favori, c'était ça!")
    ]
    # Once per conversation: a reload shows the thanks no more, and no question either.
    page.reload()
    expect(chat.dialog).to_be_visible()  # it stays open across pages
    expect(chat.replies.last).to_be_visible()
    page.wait_for_timeout(1000)
    expect(page.locator(".gb-survey")).to_have_count(0)

    # English, in a new conversation: answered "No", without a comment.
    page.evaluate("localStorage.clear()")
    page.reload()
    chat.open()
    chat.language_button("en").click()
    solve_at_step_one(chat, "I can't log in", "Yes, it works", "en")
    card = page.locator(".gb-survey")
    expect(card).to_contain_text("Did this help?")
    expect(card.get_by_label("A comment? (optional)")).to_be_visible()
    card.get_by_role("button", name="No", exact=True).click()
    expect(page.locator(".gb-survey--done")).to_contain_text("Thank you for telling us")
    screenshot(page, "satisfaction-03-answered-en")
    english = conversation_id(page)
    unclear = "the sign-in wheel spins forever on my office laptop"
    chat.say_and_wait(unclear, "en")
    assert answers(own_hub, english)[0][:6] == (
        "widget",
        "en",
        "login_problem",
        "main_site",
        "assistant",
        "no",
    )

    # The agent reviews it: the conversation said "No", so its messages are listed.
    sign_in(agent_page, own_hub)
    agent_page.get_by_role("link", name="À enseigner").click()
    expect(agent_page.get_by_role("heading", name="Quoi enseigner à l'assistant")).to_be_visible()
    expect(agent_page.locator("#untrained")).to_contain_text(
        "Comparé aux fichiers d'entraînement de data/nlu/"
    )
    row = agent_page.locator("table.review tr", has_text=unclear)
    expect(row).to_contain_text("« non » à la satisfaction")
    screenshot(agent_page, "satisfaction-04-review")
    row.get_by_label("Bonne intention").select_option("login_problem")
    row.get_by_role("button", name="Enregistrer").click()
    expect(agent_page.locator("table.review tr", has_text=unclear)).to_have_count(0)
    agent_page.get_by_role("link", name=re.compile(r"^Revus \(\d+\)")).click()
    expect(agent_page.locator("table.review tr", has_text=unclear)).to_contain_text("login_problem")
    expect(agent_page.locator("#untrained")).to_contain_text(re.compile(r"[1-9]\d* exemple\(s\) revu\(s\)"))
    screenshot(agent_page, "satisfaction-05-reviewed")

    # The existing export, as a person runs it, turns the verdict into NLU data.
    env = {**os.environ, "GEM_DATABASE_URL": f"sqlite+aiosqlite:///{own_hub.work_dir / 'hub.db'}"}
    subprocess.run(
        [sys.executable, "-m", "bot", "corrections", "export", "--out", str(tmp_path)],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    exported = yaml.safe_load((tmp_path / "corrections_en.yml").read_text(encoding="utf-8"))
    examples = {block["intent"]: block["examples"] for block in exported["nlu"]}
    assert f"- {unclear}\n" in examples["login_problem"]


def test_a_mail_answers_still_need_help_link_reopens_a_ticket(
    page: Page, agent_page: Page, own_hub: LiveHub
) -> None:
    assert own_hub.outbound is not None
    original = deliver(
        own_hub,
        "Connexion impossible",
        "Bonjour, je ne suis plus capable de me connecter à GEM-BOOKS depuis hier. Merci, Hélène",
        sender="Hélène Côté <helene.cote@exemple.ca>",
    )
    deadline = time.monotonic() + 60
    answer = None
    while answer is None and time.monotonic() < deadline:
        answer = next(
            (m for m in own_hub.outbound.messages if m["In-Reply-To"] == original["Message-ID"]), None
        )
        time.sleep(0.2)
    assert answer is not None, "no automatic answer"
    text = answer.get_body(preferencelist=("plain",)).get_content()
    solved, still = _LINK.findall(text)
    assert "Non, j'ai encore besoin d'aide" in text

    page.goto(still)
    expect(page.get_by_role("heading", name="Vous avez encore besoin d'aide?")).to_be_visible()
    page.get_by_label(re.compile("Qu'est-ce qui ne fonctionne toujours pas")).fill("La page reste blanche.")
    screenshot(page, "satisfaction-06-mail-link")
    page.get_by_role("button", name="Demander l'aide du soutien").click()
    expect(page.get_by_role("heading", name="Votre demande est transmise au soutien")).to_be_visible()
    # Used once: the other link is spent too.
    page.goto(solved)
    expect(page.get_by_role("heading", name="Réponse déjà enregistrée")).to_be_visible()

    sign_in(agent_page, own_hub)
    # High priority: the person already tried the automatic answer.
    row = agent_page.locator("table.queue tbody tr.prio-high", has_text="courriel au soutien").first
    expect(row).to_be_visible()
    screenshot(agent_page, "satisfaction-07-ticket-reopened")
    row.get_by_role("link").first.click()
    expect(agent_page.locator("#transcript")).to_contain_text("La page reste blanche.")
    expect(agent_page.locator("aside.packet")).to_contain_text("encore besoin d'aide")
