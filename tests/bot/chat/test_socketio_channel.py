"""Rasa's socket.io protocol, spoken by a python-socketio client as rasa-webchat would."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import socketio
from aiohttp.test_utils import TestClient

from bot.app import init_app
from bot.appkeys import AGENTS, STORE
from bot.settings import Settings
from tests.bot.console.conftest import ANA, login, open_handoff
from tests.bot.fake_rasa import BUTTONS, FakeRasa
from tests.bot.handoff.conftest import clock, console_settings, smtp
from tests.bot.smtp_server import SmtpRecorder

__all__ = ["clock", "console_settings", "smtp"]  # fixtures of the handoff tests

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("engineio_client_compat")]


class Webchat:
    """A socket.io client that queues what the hub emits."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.confirmed: asyncio.Queue[Any] = asyncio.Queue()
        self.uttered: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.sio.on("session_confirm", self.confirmed.put_nowait)
        self.sio.on("bot_uttered", self.uttered.put_nowait)

    async def session(self, session_id: str | None = None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id})
        return await asyncio.wait_for(self.confirmed.get(), 10)

    async def say(self, message: str, session_id: str, **extra: Any) -> None:
        await self.sio.emit("user_uttered", {"message": message, "session_id": session_id, **extra})

    async def next_utterance(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.uttered.get(), 10)


async def connect(client: TestClient, **kwargs: Any) -> Webchat:
    chat = Webchat()
    await chat.sio.connect(str(client.make_url("/")), socketio_path="socket.io", wait_timeout=10, **kwargs)
    return chat


@pytest_asyncio.fixture
async def webchat(hub_with_fake_rasa: tuple[TestClient, FakeRasa]) -> AsyncIterator[Webchat]:
    client, _ = hub_with_fake_rasa
    chat = await connect(client, transports=["websocket"])
    yield chat
    await chat.sio.disconnect()


async def test_session_request_gets_a_server_issued_id(webchat: Webchat) -> None:
    session_id = await webchat.session(None)
    assert len(base64.urlsafe_b64decode(session_id + "==")) * 8 >= 128


async def test_a_made_up_session_id_is_not_honoured(hub_with_fake_rasa) -> None:
    client, _ = hub_with_fake_rasa
    chat = await connect(client, transports=["websocket"])
    session_id = await chat.session("my-own-id-1234567890")
    assert session_id != "my-own-id-1234567890"
    assert len(base64.urlsafe_b64decode(session_id + "==")) * 8 >= 128
    await chat.sio.disconnect()


async def test_a_known_session_id_is_kept(hub_with_fake_rasa) -> None:
    client, _ = hub_with_fake_rasa
    first = await connect(client, transports=["websocket"])
    session_id = await first.session()
    await first.sio.disconnect()
    second = await connect(client)
    assert await second.session(session_id) == session_id
    await second.sio.disconnect()


async def test_user_uttered_round_trip_with_quick_replies(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa], webchat: Webchat
) -> None:
    _, fake = hub_with_fake_rasa
    session_id = await webchat.session()
    await webchat.say("je n'arrive plus à me brancher", session_id, customData={"language": "fr"})
    first, second = await webchat.next_utterance(), await webchat.next_utterance()
    assert first == {"text": "Vous avez écrit : je n'arrive plus à me brancher"}
    assert second["text"] == "Quel navigateur utilisez-vous ?"
    assert second["quick_replies"] == [
        {"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in BUTTONS
    ]
    call = fake.webhook_calls[0]
    assert call["sender"] == session_id
    assert call["metadata"]["language"] == "fr"
    # rasa-webchat sends a clicked quick reply as its payload.
    await webchat.say(BUTTONS[0]["payload"], session_id)
    await webchat.next_utterance()
    assert fake.webhook_calls[-1]["message"] == BUTTONS[0]["payload"]


async def test_the_transcript_is_shared_with_the_websocket_channel(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa], webchat: Webchat
) -> None:
    client, _ = hub_with_fake_rasa
    session_id = await webchat.session()
    await webchat.say("bonjour", session_id)
    await webchat.next_utterance()
    await webchat.next_utterance()
    async with client.ws_connect("/ws") as ws:
        await ws.send_json({"type": "hello", "conversation_id": session_id, "language": "fr"})
        welcome = await ws.receive_json(timeout=10)
    assert welcome["conversation_id"] == session_id
    assert [m["author"] for m in welcome["transcript"]] == ["person", "assistant", "assistant"]


async def test_rasa_down_is_told_as_a_bot_message(hub: TestClient) -> None:
    chat = await connect(hub)
    session_id = await chat.session()
    await chat.say("I cannot log in", session_id, customData={"language": "en"})
    utterance = await chat.next_utterance()
    assert "soutien@gem-books.com" in utterance["text"]
    assert "unavailable" in utterance["text"]
    await chat.sio.disconnect()


async def test_junk_and_floods_get_explanations_not_disconnections(hub: TestClient) -> None:
    chat = await connect(hub)
    session_id = await chat.session()
    await chat.say("\x00" * 10, session_id)
    assert "caractères" in (await chat.next_utterance())["text"]
    await chat.say("😀" * 10_000, session_id)
    assert "trop long" in (await chat.next_utterance())["text"]
    await chat.sio.emit("user_uttered", "not a dict")
    assert (await chat.next_utterance())["text"]
    for _ in range(30):
        await chat.sio.emit("user_uttered", "junk")
    texts = []
    while True:
        try:
            texts.append((await asyncio.wait_for(chat.uttered.get(), 1))["text"])
        except asyncio.TimeoutError:
            break
    assert sum("trop rapidement" in text for text in texts) == 1
    assert chat.sio.connected
    await chat.sio.disconnect()


async def test_a_foreign_origin_is_refused(hub: TestClient) -> None:
    chat = Webchat()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await chat.sio.connect(
            str(hub.make_url("/")),
            headers={"Origin": "https://evil.example"},
            wait_timeout=5,
        )


# rasa-webchat's initPayload and customData (issue 11, item 8).


async def test_an_allowed_init_payload_reaches_rasa_as_the_intent(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa], webchat: Webchat
) -> None:
    client, fake = hub_with_fake_rasa
    session_id = await webchat.session()
    for message in ("/greet", "/get_started"):
        await webchat.say(message, session_id, customData={"language": "fr"})
        await webchat.next_utterance()
        await webchat.next_utterance()
    assert [call["message"] for call in fake.webhook_calls] == ["/greet", "/greet"]
    person = [m for m in await client.app[STORE].transcript(session_id) if m.author == "person"]
    assert [m.text for m in person] == ["/greet", "/get_started"]


@pytest.mark.parametrize(
    ("typed", "for_rasa"),
    [
        ('/greet{"email": "x@y.ca"}', 'greet{"email": "x@y.ca"}'),
        ('/forgot_password{"email": "x@y.ca"}', 'forgot_password{"email": "x@y.ca"}'),
        ("/restart", "restart"),
        ("/greet@0.99", "greet@0.99"),
        ("//greet", "greet"),
    ],
)
async def test_any_other_slash_message_is_plain_text_for_rasa(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa], webchat: Webchat, typed: str, for_rasa: str
) -> None:
    _, fake = hub_with_fake_rasa
    session_id = await webchat.session()
    await webchat.say(typed, session_id)
    await webchat.next_utterance()
    assert fake.webhook_calls[-1]["message"] == for_rasa


async def test_the_payload_list_is_a_setting(
    aiohttp_client: Any, settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    fake, url = fake_rasa
    configured = Settings.from_env({"GEM_SOCKETIO_PAYLOAD_INTENTS": "bonjour=greet"})
    assert configured.socketio_intent_payloads == {"bonjour": "greet"}
    app = init_app(
        dataclasses.replace(
            settings, rasa_url=url, action_server_url=url, socketio_payload_intents=("bonjour=greet",)
        )
    )
    chat = await connect(await aiohttp_client(app))
    session_id = await chat.session()
    for message in ("/bonjour", "/greet"):
        await chat.say(message, session_id)
        await chat.next_utterance()
        await chat.next_utterance()
    assert [call["message"] for call in fake.webhook_calls] == ["/greet", "greet"]
    await chat.sio.disconnect()
    with pytest.raises(ValueError, match="GEM_SOCKETIO_PAYLOAD_INTENTS"):
        Settings(socketio_payload_intents=('greet{"x": 1}',))


async def test_the_language_of_the_first_message_is_the_conversations(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa], webchat: Webchat
) -> None:
    client, fake = hub_with_fake_rasa
    session_id = await webchat.session()  # rasa-webchat sends no language here
    conversation = await client.app[STORE].get(session_id)
    assert conversation is not None and conversation.language == "fr"
    await webchat.say("/get_started", session_id, customData={"language": "en"})
    await webchat.next_utterance()
    conversation = await client.app[STORE].get(session_id)
    assert conversation is not None and conversation.language == "en"
    # It travels with the message, where Rasa's session starts (as after session_request).
    assert fake.webhook_calls[0]["metadata"]["language"] == "en"


# Support's messages over socket.io (issue 12): the same as on the WebSocket channel.


async def test_a_person_on_socketio_gets_the_agents_replies_and_the_assistant_back(
    aiohttp_client: Any,
    console_settings: Settings,
    fake_rasa: tuple[FakeRasa, str],
    clock: Any,
) -> None:
    fake, url = fake_rasa
    client = await aiohttp_client(
        init_app(dataclasses.replace(console_settings, rasa_url=url, action_server_url=url), clock=clock)
    )
    await client.app[AGENTS].create(*ANA)
    token = await login(client)
    console = await client.ws_connect("/console/ws")  # the agent is online
    chat = await connect(client, transports=["websocket"])
    session_id = await chat.session()
    await chat.say("je veux parler à un agent", session_id, customData={"language": "fr"})
    await chat.next_utterance()
    await chat.next_utterance()
    status, body = await open_handoff(client, session_id)
    assert status == 200 and body["agent_online"] is True
    assert "Un agent est en ligne" in (await chat.next_utterance())["text"]

    await chat.say("mon écran reste blanc", session_id, customData={"language": "fr"})
    handoff_id = body["handoff_id"]
    async with client.post(f"/console/c/{handoff_id}/claim", data={"csrf": token}):
        pass
    async with client.post(
        f"/console/c/{handoff_id}/reply", data={"csrf": token, "text": "Bonjour, je regarde."}
    ):
        pass
    assert (await chat.next_utterance()) == {"text": "Bonjour, je regarde."}
    assert len(fake.webhook_calls) == 1  # the person's message went to the agent, not Rasa

    async with client.post(f"/console/c/{handoff_id}/hand-back", data={"csrf": token}):
        pass
    assert (await chat.next_utterance())["text"].startswith("Je suis de retour")
    await chat.sio.disconnect()
    await console.close()


async def test_a_person_on_socketio_waiting_for_support_is_answered_and_can_leave_an_address(
    aiohttp_client: Any,
    console_settings: Settings,
    fake_rasa: tuple[FakeRasa, str],
    clock: Any,
    smtp: SmtpRecorder,
) -> None:
    _, url = fake_rasa
    client = await aiohttp_client(
        init_app(dataclasses.replace(console_settings, rasa_url=url, action_server_url=url), clock=clock)
    )
    chat = await connect(client, transports=["websocket"])
    session_id = await chat.session()
    await chat.say("I want to talk to a person", session_id, customData={"language": "en"})
    await chat.next_utterance()
    status, _ = await open_handoff(client, session_id, language="en")
    assert status == 200
    assert "No agent is online" in (await chat.next_utterance())["text"]
    await chat.say("hello?", session_id, customData={"language": "en"})
    assert "type it here" in (await chat.next_utterance())["text"]
    await chat.say("bob.smith@example.net", session_id, customData={"language": "en"})
    assert "b***@example.net" in (await chat.next_utterance())["text"]
    [mail] = await smtp.wait_for(1)
    assert mail["Reply-To"] == "bob.smith@example.net"
    await chat.sio.disconnect()
