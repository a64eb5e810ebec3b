"""Waiting for support and rasa-webchat, with the real assistant (issue 11, items 4 and 8).

The trained model, the real Rasa and action servers (``rasa_stack``), the hub on the port
the action server calls back (so ``action_escalate`` really opens the handoff), SQLite and
a real SMTP server. Skipped without a trained model in ``models/``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient

from bot.appkeys import HANDOFFS, STORE
from bot.settings import Settings
from tests.bot.accounts.conftest import MovableClock, chat_hub, fast_mail
from tests.bot.chat.test_socketio_channel import connect
from tests.bot.conftest import ClientFactory, hello, of_type, say
from tests.bot.smtp_server import SmtpRecorder, text_of

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("engineio_client_compat")]


@pytest_asyncio.fixture
async def hub(
    aiohttp_client: ClientFactory,
    settings: Settings,
    smtp: SmtpRecorder,
    clock: MovableClock,
    rasa_stack: Any,
) -> TestClient:
    return await chat_hub(aiohttp_client, fast_mail(settings, smtp.port), rasa_stack, clock)


def texts(frames: list[dict[str, Any]], author: str) -> list[str]:
    return [frame["text"] for frame in of_type(frames, "message") if frame["author"] == author]


async def test_a_person_handed_over_with_nobody_online_is_answered_and_support_mailed(
    hub: TestClient, smtp: SmtpRecorder
) -> None:
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws, language="fr")
        frames = await say(ws, "je veux parler à un agent")
        assert any("Aucun agent n'est en ligne" in text for text in texts(frames, "assistant")), frames
        conversation_id = welcome["conversation_id"]
        assert await hub.app[HANDOFFS].store.open_for(conversation_id) is not None

        frames = await say(ws, "allô? vous êtes là?")
        assert texts(frames, "assistant") == []
        [kept] = texts(frames, "system")
        assert "gardé pour l'équipe de soutien" in kept and "adresse courriel" in kept
        await asyncio.sleep(0.5)
        assert smtp.messages == []  # no address yet: support is not mailed

        [noted] = texts(await say(ws, "marie.gagnon@exemple.ca"), "system")
        assert "m***@exemple.ca" in noted and "marie.gagnon" not in noted

    [mail] = await smtp.wait_for(1)
    assert mail["To"] == "soutien@gem-books.com" and mail["Reply-To"] == "marie.gagnon@exemple.ca"
    body = text_of(mail)
    assert "Courriel pour répondre : marie.gagnon@exemple.ca" in body
    assert "allô? vous êtes là?" in body
    await asyncio.sleep(0.5)
    assert len(smtp.messages) == 1
    # The waiting messages never reached the assistant: no intent was stored for them.
    person = [m for m in await hub.app[STORE].transcript(conversation_id) if m.author == "person"]
    assert [m.intent for m in person[1:]] == [None, None]


async def test_in_english_the_wait_is_in_english(hub: TestClient, smtp: SmtpRecorder) -> None:
    async with hub.ws_connect("/ws") as ws:
        await hello(ws, language="en")
        frames = await say(ws, "I want to talk to a real person please")
        assert any("No agent is online" in text for text in texts(frames, "assistant")), frames
        [kept] = texts(await say(ws, "hello?"), "system")
        assert kept.startswith("Your message is kept") and "email address" in kept
        [noted] = texts(await say(ws, "it's bob.smith@example.net"), "system")
        assert "will write to you at b***@example.net" in noted
    [mail] = await smtp.wait_for(1)
    assert mail["Reply-To"] == "bob.smith@example.net"


@pytest.mark.parametrize(
    ("init_payload", "language", "greeting"),
    [
        ("/get_started", "fr", "Bonjour! Je suis l'assistant de soutien de GEM-BOOKS. Je peux"),
        ("/greet", "en", "Hello! I'm the GEM-BOOKS support assistant"),
    ],
)
async def test_rasa_webchats_init_payload_is_answered_as_a_greeting_in_its_language(
    hub: TestClient, init_payload: str, language: str, greeting: str
) -> None:
    chat = await connect(hub, transports=["websocket"])
    session_id = await chat.session()  # as rasa-webchat: no language here
    await chat.say(init_payload, session_id, customData={"language": language})
    first = await chat.next_utterance()
    assert first["text"].startswith(greeting), first
    assert "compris" not in first["text"] and "understand" not in first["text"]
    # A short answer after it stays in the widget's language.
    await chat.say("ok", session_id, customData={"language": language})
    reply = (await chat.next_utterance())["text"]
    if language == "en":
        assert "Désolé" not in reply and "Bonjour" not in reply, reply
    else:
        assert "Sorry" not in reply, reply
    person = [m for m in await hub.app[STORE].transcript(session_id) if m.author == "person"]
    assert person[0].text == init_payload and person[0].intent == "greet"
    await chat.sio.disconnect()


async def test_a_typed_intent_with_entities_is_still_just_text(hub: TestClient, smtp: SmtpRecorder) -> None:
    chat = await connect(hub, transports=["websocket"])
    session_id = await chat.session()
    await chat.say('/forgot_password{"email": "julie.tremblay@example.com"}', session_id)
    reply = await chat.next_utterance()
    assert reply["text"]
    person = [m for m in await hub.app[STORE].transcript(session_id) if m.author == "person"]
    assert person[0].payload is None  # it went to Rasa as text, not as an intent with an entity
    await asyncio.sleep(1.0)
    assert smtp.messages == []  # no reset mail without the form's own checks
    await chat.sio.disconnect()
