"""Handed over with nobody online: every message is acknowledged, the address reaches support.

The real hub (SQLite, outbox, a real SMTP server) with a fake Rasa; the handoff is opened
through the internal API as the action server does. The same with the real assistant is
in ``test_with_rasa.py``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient

from bot.appkeys import AGENTS, HANDOFFS, OUTBOX, STORE
from tests.bot.conftest import hello, of_type, say
from tests.bot.console.conftest import ANA, login, open_handoff
from tests.bot.fake_rasa import FakeRasa
from tests.bot.smtp_server import SmtpRecorder, text_of

pytestmark = [pytest.mark.asyncio]


@pytest_asyncio.fixture
async def hub(hub_with_fake_assistant: TestClient) -> TestClient:
    client = hub_with_fake_assistant
    await client.app[AGENTS].create(*ANA)
    return client


def told(frames: list[dict[str, Any]]) -> str:
    """The one system reply of a turn."""
    [reply] = of_type(frames, "message")
    assert reply["author"] == "system", reply
    return str(reply["text"])


async def handed_over(hub: TestClient, ws: Any, language: str = "fr", **packet: Any) -> str:
    welcome = await hello(ws, language=language)
    await say(ws, "je veux parler à un agent" if language == "fr" else "I want to talk to a person")
    status, body = await open_handoff(hub, welcome["conversation_id"], language=language, **packet)
    assert status == 200 and body["agent_online"] is False, body
    support = await ws.receive_json(timeout=5)
    assert support["type"] == "support" and support["state"] == "open"
    return str(welcome["conversation_id"])


async def test_each_message_is_kept_the_address_asked_once_then_confirmed_and_mailed(
    hub: TestClient, fake_rasa: tuple[FakeRasa, str], smtp: SmtpRecorder
) -> None:
    fake, _ = fake_rasa
    async with hub.ws_connect("/ws") as ws:
        conversation_id = await handed_over(hub, ws)
        first = told(await say(ws, "allô? il y a quelqu'un?"))
        assert first.startswith("Votre message est gardé pour l'équipe de soutien")
        assert "écrivez-la ici" in first
        second = told(await say(ws, "mon écran reste blanc depuis hier"))
        assert "gardé" in second and "adresse" not in second  # not asked on every line
        mistyped = told(await say(ws, "marie.gagnon@exemple"))
        assert "semble incomplète" in mistyped
        await asyncio.sleep(0.3)
        assert smtp.messages == []  # nothing to answer to yet

        noted = told(await say(ws, "c'est Marie.Gagnon@Exemple.ca"))
        assert "m***@exemple.ca" in noted and "vous écrira" in noted and "Marie.Gagnon" not in noted
        after = told(await say(ws, "merci!"))
        assert "gardé" in after and "adresse courriel :" not in after
    # None of it went to the assistant: only the message before the handoff did.
    assert [call["message"] for call in fake.webhook_calls] == ["je veux parler à un agent"]

    [mail] = await smtp.wait_for(1)
    assert mail["Reply-To"] == "marie.gagnon@exemple.ca"
    body = text_of(mail)
    assert "Courriel pour répondre : marie.gagnon@exemple.ca" in body
    assert "mon écran reste blanc depuis hier" in body  # the wait's messages are in the transcript
    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 1
    handoff = await hub.app[HANDOFFS].store.open_for(conversation_id)
    assert handoff is not None and handoff.contact_email == "marie.gagnon@exemple.ca"
    # Nothing is lost: the agents' transcript has every line, with what the person was told.
    authors = [m.author for m in await hub.app[STORE].transcript(conversation_id)]
    assert authors[-10:] == ["person", "system"] * 5


async def test_in_english_the_replies_are_english(hub: TestClient, smtp: SmtpRecorder) -> None:
    async with hub.ws_connect("/ws") as ws:
        await handed_over(hub, ws, language="en")
        first = told(await say(ws, "hello? anyone there?"))
        assert first.startswith("Your message is kept for the GEM-BOOKS support team")
        assert "type it here" in first
        noted = told(await say(ws, "my email is bob.smith@example.net"))
        assert "will write to you at b***@example.net" in noted
    [mail] = await smtp.wait_for(1)
    assert mail["Reply-To"] == "bob.smith@example.net"


async def test_an_address_known_at_the_handoff_is_not_asked_for_and_a_new_one_follows_up(
    hub: TestClient, smtp: SmtpRecorder
) -> None:
    async with hub.ws_connect("/ws") as ws:
        await handed_over(hub, ws, email="marie@exemple.ca")
        [mail] = await smtp.wait_for(1)  # the handoff mail, at once: support can answer
        first = told(await say(ws, "j'attends"))
        assert "Le soutien vous répondra par courriel à m***@exemple.ca" in first
        assert "écrivez-la ici" not in first
        noted = told(await say(ws, "écrivez plutôt à marie.perso@exemple.org"))
        assert "m***@exemple.org" in noted
        same_again = told(await say(ws, "oui marie.perso@exemple.org"))
        assert "m***@exemple.org" in same_again
    _, update = await smtp.wait_for(2)
    assert "nouvelle adresse" in update["Subject"]
    assert update["Reply-To"] == "marie.perso@exemple.org"
    assert text_of(update).startswith(
        "La personne a donné une nouvelle adresse pour lui répondre : marie.perso@exemple.org"
    )
    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 2  # the same address twice: no third mail
    assert (await hub.app[OUTBOX].counts()) == {"sent": 2}


async def test_with_an_agent_online_messages_go_to_the_agent_without_replies(
    hub: TestClient, smtp: SmtpRecorder
) -> None:
    await login(hub)
    async with hub.ws_connect("/console/ws") as console, hub.ws_connect("/ws") as ws:
        welcome = await hello(ws)
        await say(ws, "je veux parler à un agent")
        status, body = await open_handoff(hub, welcome["conversation_id"])
        assert body["agent_online"] is True
        frames = await say(ws, "c'est marie@exemple.ca")
        assert of_type(frames, "message") == []
        while (frame := await console.receive_json(timeout=5))["type"] != "message":
            pass
        # Masked on the console as every transcript agents see (docs/SECURITY.md, issue 14 finding 9).
        assert frame["text"] == "c'est m***@exemple.ca"
    await asyncio.sleep(0.3)
    assert smtp.messages == []
