"""The internal handoff API: authentication, one handoff per open conversation, one mail."""

from __future__ import annotations

import asyncio

from aiohttp.test_utils import TestClient

from bot.appkeys import HANDOFFS, OUTBOX, STORE
from tests.bot.console.conftest import conversation_with, open_handoff
from tests.bot.smtp_server import SmtpRecorder, text_of


async def test_a_wrong_or_missing_token_is_refused(console_hub: TestClient) -> None:
    conversation_id = await conversation_with(console_hub, ("person", "un agent svp", "request_human", 0.9))
    for token in ("wrong", None, ""):
        status, body = await open_handoff(console_hub, conversation_id, token=token)
        assert status == 401, body
    assert await console_hub.app[HANDOFFS].store.queue() == []
    conversation = await console_hub.app[STORE].get(conversation_id)
    assert conversation is not None and conversation.status == "bot"


async def test_malformed_packets_and_unknown_conversations_are_refused(console_hub: TestClient) -> None:
    conversation_id = await conversation_with(console_hub)
    status, body = await open_handoff(console_hub, conversation_id, reason="x\r\nBcc: evil@example.com")
    assert (status, body["field"]) == (422, "reason")
    status, body = await open_handoff(console_hub, conversation_id, steps_tried="main_site")
    assert status == 422
    status, _ = await open_handoff(console_hub, "N" * 32)
    assert status == 404


async def test_a_retried_escalation_opens_one_handoff_and_mails_support_once(
    console_hub: TestClient, smtp: SmtpRecorder
) -> None:
    conversation_id = await conversation_with(
        console_hub,
        ("person", "je n'arrive plus à me brancher", "login_problem", 0.88),
        ("assistant", "Étape 1 : allez sur www.gem-books.com", None, None),
        ("person", "ça ne marche toujours pas", "still_not_working", 0.93),
    )
    results = await asyncio.gather(
        *(open_handoff(console_hub, conversation_id, email="marie@exemple.ca", reason="troubleshooting_exhausted")
          for _ in range(3))
    )  # fmt: skip
    assert {status for status, _ in results} == {200}
    assert len({body["handoff_id"] for _, body in results}) == 1
    assert sorted(body["created"] for _, body in results) == [False, False, True]
    first = results[0][1]
    assert first["agent_online"] is False and first["contact_known"] is True and first["priority"] == "high"
    # And once more, later: still the same handoff.
    status, again = await open_handoff(console_hub, conversation_id, email="marie@exemple.ca")
    assert (status, again["handoff_id"], again["created"]) == (200, first["handoff_id"], False)

    [mail] = await smtp.wait_for(1)
    await asyncio.sleep(0.5)  # time for a wrong second mail to arrive
    assert len(smtp.messages) == 1
    assert smtp.envelopes[0][1] == ["soutien@gem-books.com"]
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Reply-To"] == "marie@exemple.ca"
    assert "troubleshooting_exhausted" in mail["Subject"]
    body = text_of(mail)
    assert "je n'arrive plus à me brancher" in body and "login_problem" in body
    assert "main_site:failed" in body
    assert (await console_hub.app[OUTBOX].counts()) == {"sent": 1}
    conversation = await console_hub.app[STORE].get(conversation_id)
    assert conversation is not None and conversation.status == "agent"


async def test_without_an_address_the_mail_waits_for_the_one_the_person_types(
    console_hub: TestClient, smtp: SmtpRecorder
) -> None:
    conversation_id = await conversation_with(console_hub, ("person", "un humain svp", "request_human", 0.9))
    status, body = await open_handoff(
        console_hub, conversation_id, email="m***@exemple.ca", reset_email_sent=True
    )
    assert status == 200 and body["contact_known"] is False and body["priority"] == "high"
    await asyncio.sleep(0.3)
    assert smtp.messages == []
    conversation = await console_hub.app[STORE].get(conversation_id)
    assert conversation is not None
    message = await console_hub.app[STORE].add_message(conversation_id, "person", "c'est marie@exemple.ca")
    await console_hub.app[HANDOFFS].person_wrote(conversation, message)
    await console_hub.app[HANDOFFS].person_wrote(conversation, message)
    [mail] = await smtp.wait_for(1)
    await asyncio.sleep(0.3)
    assert len(smtp.messages) == 1 and mail["Reply-To"] == "marie@exemple.ca"
