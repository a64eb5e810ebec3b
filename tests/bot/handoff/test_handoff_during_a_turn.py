"""Who answers a message when a handoff opens or closes around a turn.

A chat turn stores everything in one transaction once Rasa has answered, and the chat
session knows whether people have the conversation from the live ``support`` frames. These
tests move the handoff at the awkward moments (while Rasa answers; on "another hub",
without this hub hearing of it) and check that the person's message reaches whoever has
the conversation, that nothing is lost, and that the mail to support has the message that
caused it. The real hub (SQLite, outbox, a real SMTP server) with a fake Rasa.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.appkeys import HANDOFFS, STORE
from bot.handoff.packet import parse_packet
from tests.bot.conftest import hello, of_type, say
from tests.bot.console.conftest import open_handoff, packet
from tests.bot.fake_rasa import FakeRasa
from tests.bot.smtp_server import SmtpRecorder, text_of

pytestmark = [pytest.mark.asyncio]


@pytest.fixture
def hub(hub_with_fake_assistant: TestClient) -> TestClient:
    return hub_with_fake_assistant


async def authors_and_texts(hub: TestClient, conversation_id: str) -> list[tuple[str, str]]:
    return [(m.author, m.text) for m in await hub.app[STORE].transcript(conversation_id)]


async def test_people_who_take_the_conversation_while_rasa_answers_get_the_message(
    hub: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    """The assistant's answer, computed for a conversation people now have, is dropped."""
    fake, _ = fake_rasa

    async def an_agent_takes_it(body: dict[str, Any]) -> None:
        status, answer = await open_handoff(hub, body["sender"])
        assert status == 200, answer

    async with hub.ws_connect("/ws") as ws:
        conversation_id = (await hello(ws, language="fr"))["conversation_id"]
        fake.during_turn = an_agent_takes_it
        frames = await say(ws, "mon écran reste blanc")
    support = of_type(frames, "support")
    assert support and support[0]["state"] == "open"
    replies = of_type(frames, "message")
    assert [r["author"] for r in replies] == ["system"], replies
    assert "gardé" in replies[0]["text"]  # what the handoff tells a waiting person
    assert not any("Vous avez écrit" in r["text"] for r in replies)
    assert await authors_and_texts(hub, conversation_id) == [
        ("person", "mon écran reste blanc"),
        ("system", replies[0]["text"]),
    ]


async def test_a_handoff_this_hub_never_heard_of_still_takes_the_message(
    hub: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    """Opened on another hub and its live frame lost: the turn's transaction notices."""
    fake, _ = fake_rasa
    async with hub.ws_connect("/ws") as ws:
        conversation_id = (await hello(ws, language="fr"))["conversation_id"]
        await say(ws, "bonjour")
        # Straight in the database: no support frame reaches this session.
        opened = parse_packet(packet(conversation_id), "fr")
        await hub.app[HANDOFFS].store.open(opened, agent_online=False)
        first = await say(ws, "allô? il y a quelqu'un?")
        second = await say(ws, "encore moi")
    assert [r["author"] for r in of_type(first, "message")] == ["system"]
    assert [r["author"] for r in of_type(second, "message")] == ["system"]
    # Rasa heard the first one (nobody here knew yet), not the second.
    assert [call["message"] for call in fake.webhook_calls] == ["bonjour", "allô? il y a quelqu'un?"]
    lines = await authors_and_texts(hub, conversation_id)
    assert [author for author, _ in lines] == [
        "person",
        "assistant",
        "assistant",
        "person",
        "system",
        "person",
        "system",
    ]
    assert ("person", "encore moi") in lines


async def test_a_hand_back_this_hub_never_heard_of_lets_the_assistant_answer(
    hub: TestClient, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, _ = fake_rasa
    async with hub.ws_connect("/ws") as ws:
        conversation_id = (await hello(ws, language="fr"))["conversation_id"]
        status, body = await open_handoff(hub, conversation_id)
        assert status == 200, body
        assert (await ws.receive_json(timeout=5))["state"] == "open"
        waiting = await say(ws, "il y a quelqu'un?")
        assert [r["author"] for r in of_type(waiting, "message")] == ["system"]
        # Closed straight in the database: no "closed" frame reaches this session.
        assert await hub.app[HANDOFFS].store.close(int(body["handoff_id"]), "handed_back", None)
        answered = await say(ws, "mot de passe oublié")
    assert [r["author"] for r in of_type(answered, "message")] == ["assistant", "assistant"]
    assert [call["message"] for call in fake.webhook_calls] == ["mot de passe oublié"]
    lines = await authors_and_texts(hub, conversation_id)
    assert lines[-3:] == [
        ("person", "mot de passe oublié"),
        ("assistant", "Vous avez écrit : mot de passe oublié"),
        ("assistant", "Quel navigateur utilisez-vous ?"),
    ]


async def test_the_mail_to_support_has_the_message_of_the_turn_that_handed_over(
    hub: TestClient, fake_rasa: tuple[FakeRasa, str], smtp: SmtpRecorder
) -> None:
    """The handoff is queued mid-turn; the mail waits for the turn to store its message."""
    fake, _ = fake_rasa

    async def the_assistant_hands_over(body: dict[str, Any]) -> None:
        status, answer = await open_handoff(hub, body["sender"], email="marie.gagnon@exemple.ca")
        assert status == 200 and answer["agent_online"] is False, answer

    fake.during_turn = the_assistant_hands_over
    fake.handoff_reason = "requested_by_person"
    # Rasa goes on for a while after the action (the outbox is woken at once).
    fake.turn_seconds = 0.5
    async with hub.ws_connect("/ws") as ws:
        await hello(ws, language="fr")
        frames = await say(ws, "je veux parler à quelqu'un, mon écran reste blanc depuis hier")
    # The assistant opened the handoff: its replies are the person's to see.
    assert [r["author"] for r in of_type(frames, "message")] == ["assistant", "assistant"]
    [mail] = await smtp.wait_for(1)
    assert "mon écran reste blanc depuis hier" in text_of(mail)
    await asyncio.sleep(0.2)
    assert len(smtp.messages) == 1
