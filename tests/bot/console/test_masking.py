"""Agents see transcripts with addresses masked -- live frames, the conversation page (the
assigned agent's too) and the mail to support -- and the full address only where it is
needed to answer: the contact line and ``Reply-To`` (finding 9 of issue 14)."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.bot.conftest import hello
from tests.bot.console.conftest import ANA, conversation_with, login, open_handoff
from tests.bot.smtp_server import SmtpRecorder, text_of

CONTACT = "julie.tremblay@example.com"
TYPED = "julie.perso@example.org"  # an address the person typed in the chat
TYPED_MASKED = "j***@example.org"


async def test_live_console_frames_mask_addresses(console_hub: TestClient) -> None:
    await login(console_hub, ANA)
    console = await console_hub.ws_connect("/console/ws")
    conversation_id = await conversation_with(console_hub, ("person", "un agent svp", "request_human", 0.9))
    status, _ = await open_handoff(console_hub, conversation_id, email=CONTACT)
    assert status == 200
    assert (await console.receive_json(timeout=5)) == {"type": "queue"}
    async with console_hub.ws_connect("/ws") as ws:
        await hello(ws, conversation_id=conversation_id)
        await ws.send_json({"type": "message", "text": f"écrivez-moi plutôt à {TYPED}", "payload": None})
        frame = await console.receive_json(timeout=5)
    assert frame["type"] == "message"
    assert frame["text"] == f"écrivez-moi plutôt à {TYPED_MASKED}"
    await console.close()


async def test_the_assigned_agent_sees_the_transcript_masked_and_the_contact_in_full(
    console_hub: TestClient,
) -> None:
    conversation_id = await conversation_with(
        console_hub, ("person", f"mon autre adresse : {TYPED}", "inform", 0.8)
    )
    status, body = await open_handoff(console_hub, conversation_id, email=CONTACT)
    assert status == 200
    token = await login(console_hub, ANA)
    async with console_hub.post(f"/console/c/{body['handoff_id']}/claim", data={"csrf": token}):
        pass
    async with console_hub.get(f"/console/c/{body['handoff_id']}") as page:
        html = await page.text()
    assert TYPED not in html and TYPED_MASKED in html
    assert CONTACT in html  # to answer by mail


async def test_the_mail_to_support_masks_the_transcript(console_hub: TestClient, smtp: SmtpRecorder) -> None:
    conversation_id = await conversation_with(
        console_hub, ("person", f"mon autre adresse : {TYPED}", "inform", 0.8)
    )
    status, _ = await open_handoff(console_hub, conversation_id, email=CONTACT)  # nobody online
    assert status == 200
    [mail] = await smtp.wait_for(1)
    assert mail["Reply-To"] == CONTACT
    body = text_of(mail)
    assert TYPED not in body and TYPED_MASKED in body
    html = mail.get_body(preferencelist=("html",))
    assert html is not None and TYPED not in html.get_content()
