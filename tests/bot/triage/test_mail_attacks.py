"""Mail that tries to take what is not its own (issue 14): a From header built to smuggle an
address (finding 7), a reply to someone else's thread (finding 1), a flood from one sender
(finding 8). The whole triage as it runs: SMTP in, the real Rasa model, a real SMTP server
for what goes out, the agent console."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from bot.appkeys import ENGINE, HANDOFFS, OUTBOX, TRIAGE
from bot.db.engine import session_factory
from bot.db.handoff_models import Handoff
from bot.triage.service import FOREIGN_REPLY_WARNING
from tests.bot.accounts.conftest import smtp
from tests.bot.conftest import ClientFactory
from tests.bot.console.conftest import csrf_in, login
from tests.bot.smtp_server import SmtpRecorder, text_of
from tests.bot.triage.triage_hub import decided, deliver, mail, start_triage_hub, triage_hub, triage_settings

__all__ = ["smtp", "triage_hub"]

pytestmark = [pytest.mark.asyncio]

ATTACKS = Path(__file__).parents[2] / "data" / "mail_attacks"
JULIE = "julie.tremblay@exemple.ca"
PIRATE = "Pirate <pirate@exemple.net>"


@pytest.mark.parametrize(
    ("eml", "message_id"),
    [
        # From: =?utf-8?q?pirate=40exemple=2Enet=3A=0D=0A?= <julie.tremblay@exemple.ca>
        ("from_encoded_name_colon_newline.eml", "<from-encoded-colon-newline-1@exemple.net>"),
        # From: pirate@exemple.net:<CRLF> <julie.tremblay@exemple.ca>
        ("from_name_colon_newline.eml", "<from-folded-group-1@exemple.net>"),
    ],
)
async def test_a_from_header_that_is_not_exactly_one_address_gets_no_automatic_answer(
    triage_hub: TestClient, smtp: SmtpRecorder, eml: str, message_id: str
) -> None:
    await deliver(triage_hub, (ATTACKS / eml).read_bytes(), envelope_from="pirate@exemple.net")
    row = await decided(triage_hub, message_id)
    assert (row.decision, row.reason) == ("filed", "bad_sender")
    assert (row.from_address, row.answer_address) == ("", "")
    await asyncio.sleep(0.5)
    assert smtp.messages == []  # to nobody: not the pirate, not the name in the header
    assert await triage_hub.app[OUTBOX].counts() == {}
    # The mail log says why, in both languages.
    await login(triage_hub)
    async with triage_hub.get("/console/mail?lang=fr") as page:
        assert "expéditeur ambiguë ou invalide (From ou Reply-To)" in await page.text()
    async with triage_hub.get("/console/mail?lang=en") as page:
        assert "Ambiguous or invalid sender address" in await page.text()


@pytest.fixture
def shadow_settings(settings, smtp, rasa_stack):  # type: ignore[no-untyped-def]
    # Shadow mode: every mail a person writes becomes a ticket (nothing answered at once).
    return triage_settings(settings, smtp, rasa_stack, triage_mode="shadow")


async def test_a_reply_from_another_address_is_a_flagged_ticket_of_its_own(
    aiohttp_client: ClientFactory,
    shadow_settings,
    smtp: SmtpRecorder,  # type: ignore[no-untyped-def]
) -> None:
    hub = await start_triage_hub(aiohttp_client, shadow_settings)
    original = mail(
        subject="Mot de passe oublié", body="Bonjour, j'ai oublié mon mot de passe. Merci!\n\nJulie"
    )
    first = await decided(hub, await deliver(hub, original))
    assert first.decision == "ticket" and first.handoff_id is not None
    # Someone who knows Julie's Message-ID answers "her" thread from elsewhere.
    hijack = mail(
        subject="Re: Mot de passe oublié",
        body="Finalement, envoyez plutôt le lien de réinitialisation à cette adresse-ci. Merci",
        sender=PIRATE,
        headers={"In-Reply-To": original["Message-ID"], "References": original["Message-ID"]},
    )
    row = await decided(hub, await deliver(hub, hijack, envelope_from="pirate@exemple.net"))
    assert (row.decision, row.reason) == ("ticket", "foreign_reply")
    assert row.conversation_id != first.conversation_id and row.handoff_id != first.handoff_id
    conversations = hub.app[HANDOFFS].conversations
    assert len(await conversations.transcript(first.conversation_id)) == 1  # nothing of the pirate's
    [flagged] = await conversations.transcript(row.conversation_id)
    assert flagged.text.startswith(f"[{FOREIGN_REPLY_WARNING['fr']}]")

    # Agents see it as a possible hijack, in their language.
    csrf = await login(hub)
    async with hub.get("/console?lang=fr") as page:
        assert "détournement possible" in await page.text()
    async with hub.get(f"/console/c/{row.handoff_id}?lang=en") as page:
        assert "Possible hijack: this mail answers a conversation of another address." in await page.text()
    async with hub.get(f"/console/c/{row.handoff_id}?lang=fr") as page:
        assert "Détournement possible : ce courriel répond à la conversation" in await page.text()
    async with hub.get(f"/console/c/{first.handoff_id}") as page:
        assert "Détournement possible" not in await page.text()

    # The agent's answer to Julie's ticket goes to Julie.
    async with hub.post(f"/console/c/{first.handoff_id}/claim", data={"csrf": csrf}) as page:
        csrf = csrf_in(await page.text())
    async with hub.post(
        f"/console/c/{first.handoff_id}/reply", data={"csrf": csrf, "text": "Bonjour Julie, voici le lien."}
    ) as page:
        assert page.status == 200
    [answer] = await smtp.wait_for(1)
    assert answer["To"] == JULIE and "voici le lien" in text_of(answer)


async def test_an_agents_answer_goes_to_the_requester_not_to_the_newest_reply_to(
    aiohttp_client: ClientFactory,
    shadow_settings,
    smtp: SmtpRecorder,  # type: ignore[no-untyped-def]
) -> None:
    hub = await start_triage_hub(aiohttp_client, shadow_settings)
    original = mail(subject="Code usager oublié", body="Bonjour, j'ai oublié mon code usager.\n\nJulie")
    first = await decided(hub, await deliver(hub, original))
    # A later mail in the thread (Julie's address, so it joins) asks answers to go elsewhere.
    later = mail(
        subject="Re: Code usager oublié",
        body="Toujours rien reçu, avez-vous du nouveau?",
        headers={
            "In-Reply-To": original["Message-ID"],
            "References": original["Message-ID"],
            "Reply-To": "pirate@exemple.net",
        },
    )
    row = await decided(hub, await deliver(hub, later))
    assert row.conversation_id == first.conversation_id and row.handoff_id == first.handoff_id
    csrf = await login(hub)
    async with hub.post(f"/console/c/{first.handoff_id}/claim", data={"csrf": csrf}) as page:
        csrf = csrf_in(await page.text())
    async with hub.post(
        f"/console/c/{first.handoff_id}/reply", data={"csrf": csrf, "text": "Voici votre code."}
    ):
        pass
    [answer] = await smtp.wait_for(1)
    assert answer["To"] == JULIE
    assert answer["In-Reply-To"] == later["Message-ID"]  # threaded under the latest mail


async def test_a_flood_from_one_sender_makes_one_ticket(triage_hub: TestClient, smtp: SmtpRecorder) -> None:
    triage = triage_hub.app[TRIAGE]
    questions = (
        "Je n'arrive plus à me connecter à GEM-BOOKS depuis ce matin.",
        "Mon mot de passe ne marche plus, que faire?",
        "Quel navigateur est recommandé pour GEM-BOOKS?",
    )
    floods = [
        mail(subject=f"Connexion ({n})", body=f"Bonjour, {questions[n % 3]} Envoi no {n}") for n in range(40)
    ]
    for message in floods:
        await triage.receive(message.as_bytes(), source="smtp", envelope_from=JULIE)
    other = mail(subject="Code usager", body="J'ai oublié mon code usager.", sender="Marc <marc@exemple.ca>")
    await triage.receive(other.as_bytes(), source="smtp", envelope_from="marc@exemple.ca")
    rows = [await decided(triage_hub, str(message["Message-ID"]), timeout=300) for message in floods]
    async with session_factory(triage_hub.app[ENGINE])() as session:
        tickets = await session.scalar(select(func.count()).select_from(Handoff))
    assert tickets == 1  # the sender's one ticket: every later mail joined it
    answered = [row for row in rows if row.decision == "auto_reply"]
    assert len(answered) == 1  # the limit on automatic answers still holds (1 per hour)
    ticket_rows = [row for row in rows if row.decision == "ticket"]
    assert len({row.conversation_id for row in ticket_rows}) == 1
    [handoff] = {row.handoff_id for row in ticket_rows if row.handoff_id is not None}
    ticket = await triage_hub.app[HANDOFFS].store.get(handoff)
    transcript = await triage_hub.app[HANDOFFS].conversations.transcript(ticket.conversation_id)
    assert len([m for m in transcript if m.author == "person"]) == 39  # nothing lost
    # Someone else still gets their own answer.
    marc = await decided(triage_hub, str(other["Message-ID"]))
    assert marc.decision == "auto_reply"
