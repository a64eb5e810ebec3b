"""Mail over SMTP to the hub's triage listener, the real Rasa model, a real SMTP server for
what the hub sends, and the agent console: the whole email triage, as it runs."""

from __future__ import annotations

import asyncio
from email.message import EmailMessage
from typing import Any

import aiosmtplib
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import text

from bot.appkeys import CLOCK, ENGINE, HANDOFFS, TRIAGE, TRIAGE_LISTENER
from bot.settings import Settings
from bot.triage.store import message_key
from tests.bot.accounts.conftest import smtp
from tests.bot.conftest import ClientFactory
from tests.bot.console.conftest import csrf_in, login
from tests.bot.smtp_server import SmtpRecorder, text_of
from tests.bot.triage.triage_hub import decided, deliver, mail, start_triage_hub, triage_hub, triage_settings

__all__ = ["smtp", "triage_hub"]

pytestmark = [pytest.mark.asyncio]


def assert_answers(answer: EmailMessage, original: EmailMessage) -> None:
    """Our reply is threaded, marked automatic, and goes to the person only."""
    assert answer["To"] == "julie.tremblay@exemple.ca"
    assert answer["In-Reply-To"] == original["Message-ID"]
    assert original["Message-ID"] in answer["References"]
    assert answer["Subject"] == f"Re: {original['Subject']}"
    assert answer["Message-ID"].endswith("@gem-books.com>")
    assert answer["Auto-Submitted"] == "auto-replied"


async def test_a_quebec_login_problem_gets_the_steps_in_french_at_once(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    original = mail(
        subject="Chu pu capable de me brancher",
        body="Bonjour, depuis à matin je suis pu capable de me brancher à GEM-BOOKS, "
        "la page de connexion tourne dans le beurre. Merci!\n\nJulie",
    )
    row = await decided(triage_hub, await deliver(triage_hub, original))
    assert (row.decision, row.reason, row.language, row.intent) == (
        "auto_reply",
        "known_problem",
        "fr",
        "login_problem",
    )
    [answer] = await smtp.wait_for(1)
    assert_answers(answer, original)
    text = text_of(answer)
    assert text.startswith("Bonjour Julie,")
    # domain.yml's steps, word for word (bot.domain)
    for step in (
        "1. Passez par le site officiel",
        "bouton rouge CONNEXION",
        "4. Fermez complètement votre navigateur",
    ):
        assert step in text
    html = answer.get_body(preferencelist=("html",)).get_content()
    assert '<a href="https://www.gem-books.com">' in html
    # The raw mail is not kept once triaged; the conversation has both sides.
    assert row.raw is None
    transcript = await triage_hub.app[HANDOFFS].conversations.transcript(row.conversation_id)
    assert [m.author for m in transcript] == ["person", "assistant"]
    assert transcript[0].intent == "login_problem"


async def test_an_english_forgotten_password_gets_the_reset_link_in_english(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    original = mail(
        subject="Forgot my password", body="Hi, I forgot my password and can't log in. What do I do?"
    )
    row = await decided(triage_hub, await deliver(triage_hub, original))
    assert (row.decision, row.language, row.intent) == ("auto_reply", "en", "forgot_password")
    [answer] = await smtp.wait_for(1)
    assert_answers(answer, original)
    settings: Settings = triage_hub.app[TRIAGE]._settings
    assert settings.password_reset_url in text_of(answer)
    assert text_of(answer).startswith("Hello Julie,")


async def test_an_unknown_request_becomes_a_ticket_an_agent_answers_by_mail(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    original = mail(
        subject="Facture de novembre",
        body="Bonjour, pouvez-vous m'envoyer une copie de la facture de novembre pour notre comptable? Merci.",
    )
    row = await decided(triage_hub, await deliver(triage_hub, original))
    assert (row.decision, row.language) == ("ticket", "fr")
    assert row.reason in ("not_answerable", "low_confidence")
    assert row.handoff_id is not None
    csrf = await login(triage_hub)
    async with triage_hub.get("/console") as response:
        queue = await response.text()
    assert f"/console/c/{row.handoff_id}" in queue
    assert "courriel au soutien" in queue  # the reason, in French
    async with triage_hub.get(f"/console/c/{row.handoff_id}") as response:
        page = await response.text()
    assert "Facture de novembre" in page  # subject in the packet
    assert "j***@exemple.ca" in page and "julie.tremblay@exemple.ca" not in page  # not claimed yet
    async with triage_hub.post(
        f"/console/c/{row.handoff_id}/claim", data={"csrf": csrf}, allow_redirects=False
    ) as response:
        assert response.status == 302
    async with triage_hub.get(f"/console/c/{row.handoff_id}") as response:
        page = await response.text()
        csrf = csrf_in(page)
    assert "Merci d&#39;avoir écrit au soutien GEM-BOOKS" in page  # the suggested reply, escaped
    assert "/hand-back" not in page  # nobody to hand back to
    reply = "Bonjour Julie,\r\n\r\nVoici la facture demandée.\r\n\r\nAna"
    async with triage_hub.post(
        f"/console/c/{row.handoff_id}/reply", data={"csrf": csrf, "text": reply}, allow_redirects=False
    ) as response:
        assert response.status == 302, await response.text()
    [answer] = await smtp.wait_for(1)
    assert answer["To"] == "julie.tremblay@exemple.ca"
    assert answer["In-Reply-To"] == original["Message-ID"]
    assert answer["Auto-Submitted"] == "no"
    assert "Voici la facture demandée." in text_of(answer)


async def test_a_reply_to_our_answer_goes_to_an_agent_and_an_autoresponder_starts_no_loop(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    original = mail(subject="Mot de passe oublié", body="J'ai oublié mon mot de passe, comment je fais?")
    await decided(triage_hub, await deliver(triage_hub, original))
    [answer] = await smtp.wait_for(1)
    # The person's vacation responder answers our answer: filed, never answered.
    vacation = mail(
        subject=f"Absent du bureau : {answer['Subject']}",
        body="Je suis absente jusqu'au 3 décembre.",
        headers={"Auto-Submitted": "auto-replied", "In-Reply-To": answer["Message-ID"]},
    )
    row = await decided(triage_hub, await deliver(triage_hub, vacation))
    assert (row.decision, row.reason) == ("filed", "auto_submitted")
    # Then the person: "still not working" in the same thread: a ticket, high priority.
    follow_up = mail(
        subject=answer["Subject"],
        body="Ça marche toujours pas, le courriel de réinitialisation arrive jamais.",
        headers={
            "In-Reply-To": answer["Message-ID"],
            "References": f"{original['Message-ID']} {answer['Message-ID']}",
        },
    )
    row = await decided(triage_hub, await deliver(triage_hub, follow_up))
    assert (row.decision, row.reason) == ("ticket", "reply_to_auto_answer")
    handoff = await triage_hub.app[HANDOFFS].store.get(row.handoff_id)
    assert handoff.priority == "high"
    assert handoff.packet["channel"] == "email"
    assert "navigateur" in handoff.packet["suggested_reply"]
    # Same thread as the first mail: the agent sees the whole story.
    first = await triage_hub.app[TRIAGE].store.by_key(message_key(original["Message-ID"]))
    assert first is not None and first.conversation_id == row.conversation_id
    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 1  # only the first answer, ever


async def test_one_answer_per_sender_per_hour_and_one_record_per_message_id(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    first = mail(subject="Code usager oublié", body="J'ai oublié mon code usager, comment le retrouver?")
    await decided(triage_hub, await deliver(triage_hub, first))
    # The same mail delivered again (a retrying server): one record, one answer.
    await deliver(triage_hub, first)
    second = mail(subject="Quel navigateur?", body="Quel navigateur est recommandé pour utiliser GEM-BOOKS?")
    row = await decided(triage_hub, await deliver(triage_hub, second))
    assert (row.decision, row.reason) == ("ticket", "rate_limited")
    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 1
    counts = await triage_hub.app[TRIAGE].store.counts()
    assert counts == {"auto_reply": 1, "ticket": 1}


async def test_automatic_and_malformed_mail_is_filed_and_the_intake_keeps_going(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    newsletter = mail(
        subject="Infolettre : je n'arrive plus à me brancher?",
        body="Vous n'arrivez plus à vous brancher? Lisez nos conseils.",
        sender="Infolettre <nouvelles@exemple.ca>",
        headers={"List-Id": "<nouvelles.exemple.ca>", "Precedence": "bulk"},
    )
    row = await decided(triage_hub, await deliver(triage_hub, newsletter, envelope_from="bounces@exemple.ca"))
    assert row.decision == "filed"
    bounce = mail(
        subject="Undelivered Mail Returned to Sender",
        body="I forgot my password",
        sender="MAILER-DAEMON@exemple.ca",
    )
    row = await decided(triage_hub, await deliver(triage_hub, bounce, envelope_from=""))
    assert (row.decision, row.reason) == ("filed", "empty_return_path")
    # Bytes that are no mail at all: set aside, and the listener still says 250.
    await deliver(triage_hub, b"\x00\xff\xfe garbage without any header\r\n")
    # A mail over the size limit is refused at the door (the sending server bounces it).
    port = triage_hub.app[TRIAGE_LISTENER].port
    huge = b"Subject: big\r\n\r\n" + b"A" * (triage_hub.app[TRIAGE]._settings.triage_max_bytes + 10)
    with pytest.raises(aiosmtplib.SMTPResponseException) as refused:
        await aiosmtplib.send(
            huge, sender="a@exemple.ca", recipients=["soutien@gem-books.com"], hostname="127.0.0.1", port=port
        )
    assert refused.value.code == 552
    # And the next person still gets their answer.
    original = mail(
        subject="Je n'arrive plus à me connecter",
        body="Je n'arrive plus à me connecter à GEM-BOOKS depuis hier.",
    )
    row = await decided(triage_hub, await deliver(triage_hub, original))
    assert row.decision == "auto_reply"
    [answer] = await smtp.wait_for(1)
    assert answer["In-Reply-To"] == original["Message-ID"]
    counts = await triage_hub.app[TRIAGE].store.counts()
    assert counts["filed"] == 2 and counts["quarantined"] == 1 and counts["auto_reply"] == 1


async def test_a_received_subject_cannot_add_headers_to_our_answer(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    raw = (
        "From: Julie <julie.tremblay@exemple.ca>\r\nTo: soutien@gem-books.com\r\n"
        "Message-ID: <injection-1@exemple.ca>\r\n"
        "Subject: =?utf-8?q?mot_de_passe_oubli=C3=A9=0D=0ABcc=3A_victim=40exemple.com?=\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "J'ai oublié mon mot de passe.\r\n"
    ).encode()
    await deliver(triage_hub, raw)
    row = await decided(triage_hub, "<injection-1@exemple.ca>")
    assert row.decision == "auto_reply"
    [answer] = await smtp.wait_for(1)
    assert answer["Bcc"] is None
    assert smtp.envelopes[0][1] == ["julie.tremblay@exemple.ca"]
    assert "\n" not in answer["Subject"]


async def test_shadow_mode_drafts_and_sends_nothing(
    aiohttp_client: ClientFactory, settings: Settings, smtp: SmtpRecorder, rasa_stack: Any
) -> None:
    hub = await start_triage_hub(
        aiohttp_client, triage_settings(settings, smtp, rasa_stack, triage_mode="shadow")
    )
    original = mail(
        subject="Je n'arrive plus à me brancher", body="Je n'arrive plus à me brancher à la plateforme."
    )
    row = await decided(hub, await deliver(hub, original))
    assert (row.decision, row.reason, row.intent) == ("ticket", "shadow", "login_problem")
    handoff = await hub.app[HANDOFFS].store.get(row.handoff_id)
    assert "bouton rouge CONNEXION" in handoff.packet["suggested_reply"]
    await asyncio.sleep(0.5)
    assert smtp.messages == []


async def test_an_email_ticket_cannot_be_handed_back_to_the_assistant(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    original = mail(subject="Question", body="Est-ce que GEM-BOOKS fait la paie des employés?")
    row = await decided(triage_hub, await deliver(triage_hub, original))
    assert row.decision == "ticket"
    csrf = await login(triage_hub)
    async with triage_hub.post(f"/console/c/{row.handoff_id}/claim", data={"csrf": csrf}) as response:
        assert response.status == 200
    async with triage_hub.post(f"/console/c/{row.handoff_id}/hand-back", data={"csrf": csrf}) as response:
        assert response.status == 409
        assert "ne se redonne pas" in await response.text()
    handoff = await triage_hub.app[HANDOFFS].store.get(row.handoff_id)
    assert handoff.status == "open"


async def test_the_console_mail_log_shows_what_the_triage_did_escaped_and_masked(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    answered = mail(subject="Mot de passe oublié", body="J'ai oublié mon mot de passe.")
    hostile = mail(
        subject="<script>alert(1)</script>",
        body="<img src=x onerror=alert(1)>",
        headers={"Auto-Submitted": "auto-generated"},
    )
    for message in (answered, hostile):
        await decided(triage_hub, await deliver(triage_hub, message))
    await login(triage_hub)
    async with triage_hub.get("/console/mail") as response:
        assert response.status == 200
        page = await response.text()
    assert "Réponse automatique" in page and "Classé sans réponse" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "j***@exemple.ca" in page and "julie.tremblay@exemple.ca" not in page
    async with triage_hub.get("/console/mail?lang=en") as response:
        english = await response.text()
    assert "Answered automatically" in english and "Filed, not answered" in english


async def test_a_failure_halfway_leaves_nothing_behind_and_the_mail_is_triaged_again(
    triage_hub: TestClient, smtp: SmtpRecorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.triage import store as store_module

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store_module, "new_handoff", broken)
    original = mail(subject="Facturation", body="Pouvez-vous changer l'adresse sur nos factures?")
    message_id = await deliver(triage_hub, original)
    store = triage_hub.app[TRIAGE].store
    for _ in range(200):
        row = await store.by_key(message_key(message_id))
        if row is not None and row.attempts >= 1 and row.last_error:
            break
        await asyncio.sleep(0.05)
    assert (row.status, row.last_error, row.conversation_id) == ("received", "RuntimeError", None)
    async with triage_hub.app[ENGINE].connect() as db:
        assert (await db.execute(text("select count(*) from conversations"))).scalar() == 0
        assert (await db.execute(text("select count(*) from mail_thread_ids"))).scalar() == 0
    monkeypatch.undo()
    triage_hub.app[CLOCK].advance(seconds=31)
    row = await decided(triage_hub, message_id)
    assert row.decision == "ticket"
    transcript = await triage_hub.app[HANDOFFS].conversations.transcript(row.conversation_id)
    assert [m.author for m in transcript] == ["person"]


async def test_the_global_cap_on_automatic_answers_holds_across_senders(
    aiohttp_client: ClientFactory, settings: Settings, smtp: SmtpRecorder, rasa_stack: Any
) -> None:
    hub = await start_triage_hub(
        aiohttp_client, triage_settings(settings, smtp, rasa_stack, triage_replies_global=1)
    )
    first = mail(subject="Mot de passe oublié", body="J'ai oublié mon mot de passe.")
    second = mail(
        subject="Forgot my password", body="I forgot my password.", sender="Bob <bob.smith@example.net>"
    )
    assert (await decided(hub, await deliver(hub, first))).decision == "auto_reply"
    row = await decided(hub, await deliver(hub, second, envelope_from="bob.smith@example.net"))
    assert (row.decision, row.reason) == ("ticket", "rate_limited")


async def test_a_new_mail_in_a_ticket_thread_joins_the_open_ticket(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    first = mail(
        subject="Changement d'adresse", body="Comment changer l'adresse de mon entreprise sur les factures?"
    )
    ticket = await decided(triage_hub, await deliver(triage_hub, first))
    assert ticket.decision == "ticket"
    more = mail(
        subject="Re: Changement d'adresse",
        body="J'ajoute que nous avons déménagé le 1er novembre.",
        headers={"In-Reply-To": first["Message-ID"], "References": first["Message-ID"]},
    )
    row = await decided(triage_hub, await deliver(triage_hub, more))
    assert (row.decision, row.reason, row.handoff_id) == ("ticket", "follow_up", ticket.handoff_id)
    transcript = await triage_hub.app[HANDOFFS].conversations.transcript(ticket.conversation_id)
    assert [m.author for m in transcript] == ["person", "person"]
    assert "déménagé" in transcript[1].text
