"""The two links at the end of an automatic mail answer, over HTTP against the real hub.

A mail goes over SMTP to the hub's triage listener, the real Rasa model answers it, the
answer arrives at a real SMTP server; the test follows its links as a person (and a mail
scanner) would: GET shows a confirm page and records nothing, the POST records, "I still
need help" reopens the thread as a ticket; forged, tampered, reused and expired links get
a clear page and a 4xx.
"""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.appkeys import CLOCK, ENGINE, HANDOFFS
from bot.db.engine import session_factory
from bot.db.feedback_models import Satisfaction
from tests.bot.accounts.conftest import smtp
from tests.bot.console.conftest import csrf_in, login
from tests.bot.smtp_server import SmtpRecorder, text_of
from tests.bot.triage.triage_hub import decided, deliver, mail, triage_hub

__all__ = ["smtp", "triage_hub"]

pytestmark = [pytest.mark.asyncio]

_LINK = re.compile(r"https?://\S+/feedback\?token=[^\s\"<>]+")


async def answered_mail(
    hub: TestClient, smtp: SmtpRecorder, subject: str, body: str
) -> tuple[int, EmailMessage]:
    row = await decided(hub, await deliver(hub, mail(subject=subject, body=body)))
    assert row.decision == "auto_reply", (row.decision, row.reason, row.intent)
    [answer] = await smtp.wait_for(1)
    return row.id, answer


def links(answer: EmailMessage) -> tuple[str, str]:
    """("solved" link, "still need help" link) as paths for the test client."""
    found = _LINK.findall(text_of(answer))
    assert len(found) == 2, text_of(answer)
    html_part = answer.get_body(preferencelist=("html",)).get_content()
    for url in found:
        assert url.replace("&", "&amp;") in html_part
    solved, still = (f"{urlsplit(url).path}?{urlsplit(url).query}" for url in found)
    return solved, still


async def answers(hub: TestClient) -> list[Satisfaction]:
    async with session_factory(hub.app[ENGINE])() as session:
        return list((await session.scalars(select(Satisfaction))).all())


async def test_still_need_help_reopens_the_thread_as_a_ticket_once(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    mail_id, answer = await answered_mail(
        triage_hub,
        smtp,
        "Chu pu capable de me brancher",
        "Bonjour, depuis à matin je suis pu capable de me brancher à GEM-BOOKS. Merci!\n\nJulie",
    )
    text = text_of(answer)
    assert "Est-ce que cette réponse a réglé votre problème?" in text
    assert "- Oui, c'est réglé : http" in text and "- Non, j'ai encore besoin d'aide : http" in text
    solved, still = links(answer)
    assert parse_qs(urlsplit(still).query)["lang"] == ["fr"]

    # What a mail scanner does: fetch the link. It sees a question, and nothing is recorded.
    async with triage_hub.get(still) as response:
        assert response.status == 200
        page = await response.text()
    assert "Vous avez encore besoin d'aide?" in html.unescape(page)
    assert '<label for="comment">' in page
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert await answers(triage_hub) == []
    token = parse_qs(urlsplit(still).query)["token"][0]

    # A POST without the page's CSRF token changes nothing.
    async with triage_hub.post(
        "/feedback", data={"token": token, "csrf": "forged-token-1234567890"}
    ) as response:
        assert response.status == 403
    assert await answers(triage_hub) == []

    async with triage_hub.post(
        "/feedback", data={"token": token, "csrf": csrf_in(page), "comment": "Toujours une page blanche."}
    ) as response:
        assert response.status == 200
        assert "Votre demande est transmise au soutien" in await response.text()
    [row] = await answers(triage_hub)
    assert (row.inbound_mail_id, row.conversation_id, row.channel, row.language, row.topic, row.answer) == (
        mail_id,
        None,
        "mail",
        "fr",
        "login_problem",
        "no",
    )
    assert row.comment == "Toujours une page blanche."

    # The thread is a ticket again, high priority, with the person's comment in it.
    [handoff] = await triage_hub.app[HANDOFFS].store.queue()
    assert (handoff.reason, handoff.priority, handoff.packet["detail"]) == (
        "email",
        "high",
        "still_need_help",
    )
    assert handoff.contact_email == "julie.tremblay@exemple.ca"
    transcript = await triage_hub.app[HANDOFFS].conversations.transcript(handoff.conversation_id)
    assert transcript[-1].text == "Toujours une page blanche."
    await login(triage_hub)
    async with triage_hub.get("/console") as response:
        assert "courriel au soutien" in await response.text()
    async with triage_hub.get(f"/console/c/{handoff.id}") as response:
        assert "La personne a encore besoin d'aide après notre réponse automatique" in html.unescape(
            await response.text()
        )

    # Single use: the same link, and the other one, are spent.
    for link in (still, solved):
        async with triage_hub.get(link) as response:
            assert response.status == 409
            assert "Réponse déjà enregistrée" in await response.text()
    async with triage_hub.post("/feedback", data={"token": token, "csrf": csrf_in(page)}) as response:
        assert response.status == 409
    assert len(await answers(triage_hub)) == 1
    assert len(await triage_hub.app[HANDOFFS].store.queue()) == 1


async def test_forged_tampered_and_expired_links_are_refused_in_both_languages(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    _mail_id, answer = await answered_mail(
        triage_hub,
        smtp,
        "Forgot my password",
        "Hello, I forgot my password and cannot log in to GEM-BOOKS. How do I reset it? Thanks, Bob",
    )
    assert "- Yes, this solved it: http" in text_of(answer)
    solved, still = links(answer)
    token = parse_qs(urlsplit(solved).query)["token"][0]
    mail_part, answer_code, expires, signature = token.split(".")
    flipped = "A" if signature[0] != "A" else "B"
    for forged, lang, expected in (
        (f"{mail_part}.{answer_code}.{expires}.{flipped}{signature[1:]}", "en", "Invalid link"),
        (f"{mail_part}.n.{expires}.{signature}", "en", "Invalid link"),  # "yes" made into "no"
        (f"{int(mail_part) + 1}.{answer_code}.{expires}.{signature}", "fr", "Lien non valide"),
        (f"{mail_part}.{answer_code}.{int(expires) + 86400}.{signature}", "fr", "Lien non valide"),
        ("not-a-token", "fr", "Lien non valide"),
        ("", "en", "Invalid link"),
    ):
        async with triage_hub.get("/feedback", params={"token": forged, "lang": lang}) as response:
            assert response.status == 400, forged
            assert expected in await response.text()
    async with triage_hub.get("/feedback") as response:
        assert response.status == 400

    # The genuine "solved" link, in English (the mail's language): recorded, no ticket.
    async with triage_hub.get(solved) as response:
        page = await response.text()
        assert response.status == 200 and "Is your problem solved?" in page
    async with triage_hub.post("/feedback", data={"token": token, "csrf": csrf_in(page)}) as response:
        assert response.status == 200
        assert "Your answer is recorded" in await response.text()
    [row] = await answers(triage_hub)
    assert (row.answer, row.language, row.topic) == ("yes", "en", "forgot_password")
    assert await triage_hub.app[HANDOFFS].store.queue() == []

    # Past the link's 14 days, even an unused link is refused (the clock moves forward).
    triage_hub.app[CLOCK].advance(days=15)  # type: ignore[attr-defined]
    async with triage_hub.get(still) as response:
        assert response.status == 410
        assert "Expired link" in await response.text()
    async with triage_hub.get(still.replace("lang=en", "lang=fr")) as response:
        assert response.status == 410
        assert "Lien expiré" in await response.text()
