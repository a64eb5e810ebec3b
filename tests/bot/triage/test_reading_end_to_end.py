"""Issue 16 through the whole triage: real mail files over SMTP, the real Rasa model, the
tickets agents see (items 1 to 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from bot.appkeys import HANDOFFS
from bot.triage.parse import parse_mail
from tests.bot.accounts.conftest import smtp
from tests.bot.smtp_server import SmtpRecorder, text_of
from tests.bot.triage.triage_hub import decided, deliver, triage_hub

__all__ = ["smtp", "triage_hub"]

pytestmark = [pytest.mark.asyncio]

CORPUS = Path(__file__).parents[2] / "data" / "mail"


async def send(hub: TestClient, name: str) -> tuple[object, bytes]:
    raw = (CORPUS / name).read_bytes()
    await deliver(hub, raw, envelope_from=parse_mail(raw, max_bytes=10_000_000).from_address)
    return await decided(hub, parse_mail(raw, max_bytes=10_000_000).message_id), raw


async def test_a_login_request_under_a_business_signature_and_disclaimer_is_answered(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    row, _ = await send(triage_hub, "sig_disclaimer_login_fr.eml")
    assert (row.decision, row.intent, row.language) == ("auto_reply", "login_problem", "fr")
    assert "confidentiels" not in row.text and "Expert-comptable" not in row.text
    [answer] = await smtp.wait_for(1)
    assert "bouton rouge CONNEXION" in text_of(answer)


async def test_a_forwarded_client_problem_is_answered_on_the_forwarded_text(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    row, _ = await send(triage_hub, "fwd_outlook_tr_password_fr.eml")
    assert (row.decision, row.intent) == ("auto_reply", "forgot_password")
    assert "J'ai oublié mon mot de passe GEM-BOOKS" in row.text


async def test_a_long_mail_is_decided_on_its_request_and_the_ticket_says_which_sentence(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    row, _ = await send(triage_hub, "long_context_login_en.eml")
    assert (row.decision, row.intent) == ("auto_reply", "login_problem")
    assert row.deciding_text == "Since the update, I cannot log in to GEM-BOOKS on my computer."

    mixed, _ = await send(triage_hub, "long_mixed_invoice_password_fr.eml")
    assert (mixed.decision, mixed.reason) == ("ticket", "mixed_request")
    assert "abonnement annuel" in mixed.deciding_text
    transcript = await triage_hub.app[HANDOFFS].conversations.transcript(mixed.conversation_id)
    assert "[Phrase qui a décidé du tri : « Ensuite, je voudrais passer" in transcript[0].text
    assert len(await smtp.wait_for(1)) == 1  # only the first mail was answered


async def test_thanks_for_our_answer_close_without_an_answer_or_a_ticket(
    triage_hub: TestClient, smtp: SmtpRecorder
) -> None:
    thanks, _ = await send(triage_hub, "reply_thanks_bookmark_fr.eml")
    assert (thanks.decision, thanks.reason, thanks.handoff_id) == ("filed", "resolved", None)
    still, _ = await send(triage_hub, "reply_still_gmail_fr.eml")
    assert (still.decision, still.reason) == ("ticket", "reply_to_auto_answer")
    assert smtp.messages == []
