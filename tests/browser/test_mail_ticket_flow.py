"""A mail the assistant cannot answer becomes a ticket; an agent answers it from the console.

The real hub and assistant (``live_hub``): a mail is delivered over SMTP to the hub's triage
listener; the agent sees the ticket in the queue, opens it, finds the subject, the topic
and the assistant's suggested reply ready in the reply box, edits it and sends it; the
answer leaves by mail in the same thread; the mail log shows both mails.
"""

from __future__ import annotations

import re
import smtplib
import time
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from playwright.sync_api import Page, expect

from .conftest import screenshot
from .live_hub import Hub, LiveHub


def deliver(
    hub: LiveHub, subject: str, body: str, sender: str = "Lucie Bergeron <lucie.bergeron@exemple.ca>"
) -> EmailMessage:
    """Mail ``sender`` writes to support, handed to the hub's triage listener over SMTP.

    The hub is shared by the package's tests, and a sender's new mail joins their open
    ticket (a flood is one ticket): tests that need their own thread use their own sender.
    """
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "soutien@gem-books.com"
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="exemple.ca")
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", hub.triage_port, timeout=30) as smtp:
        smtp.send_message(message)
    return message


def test_an_agent_answers_a_mail_ticket_with_the_suggested_reply(page: Page, live_hub: Hub) -> None:
    if not isinstance(live_hub, LiveHub) or live_hub.outbound is None:
        pytest.skip("needs the test's own hub (its triage listener and SMTP server)")
    email, _name, password = LiveHub.AGENT
    original = deliver(
        live_hub,
        "Relevé de taxes",
        "Bonjour, où est-ce que je trouve le rapport de TPS et TVQ pour le dernier trimestre? Merci, Lucie",
    )

    page.goto(f"{live_hub.url}/console")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    row = page.locator("table.queue tbody tr", has_text="courriel au soutien")
    deadline = time.monotonic() + 60
    while row.count() == 0 and time.monotonic() < deadline:
        page.wait_for_timeout(500)
        page.reload()
    expect(row.first).to_contain_text("français")
    screenshot(page, "mail-01-queue-with-mail-ticket")
    row.first.get_by_role("link").first.click()

    packet = page.locator("aside.packet")
    expect(packet.locator(".subject")).to_have_text("Relevé de taxes")
    expect(packet.locator(".detail")).not_to_be_empty()
    expect(page.locator("#transcript")).to_contain_text("rapport de TPS et TVQ")
    page.get_by_role("button", name="Prendre cette conversation").click()
    box = page.get_by_label(re.compile("Réponse par courriel"))
    expect(box).to_have_value(re.compile(r"^Bonjour Lucie,"))
    expect(page.get_by_role("button", name="Redonner à l'assistant")).to_have_count(0)
    box.fill(
        "Bonjour Lucie,\n\nLe rapport de TPS et TVQ est dans Rapports > Taxes.\n\nAna, soutien GEM-BOOKS"
    )
    screenshot(page, "mail-02-ticket-with-reply")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator("#transcript .line--agent").last).to_contain_text("Rapports > Taxes")

    deadline = time.monotonic() + 30
    while not live_hub.outbound.messages and time.monotonic() < deadline:
        time.sleep(0.2)
    [answer] = live_hub.outbound.messages
    assert answer["To"] == "lucie.bergeron@exemple.ca"
    assert answer["In-Reply-To"] == original["Message-ID"]
    assert answer["Subject"] == "Re: Relevé de taxes"

    page.get_by_role("link", name="Courriels").click()
    log = page.locator("table.mail-log tbody tr").first
    expect(log).to_contain_text("Relevé de taxes")
    expect(log).to_contain_text("l***@exemple.ca")
    screenshot(page, "mail-03-mail-log")
