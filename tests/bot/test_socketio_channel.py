"""Rasa's socket.io protocol, spoken by a python-socketio client as rasa-webchat would."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
import socketio
from aiohttp.test_utils import TestClient

from tests.bot.fake_rasa import BUTTONS, FakeRasa

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
    await chat.sio.connect(
        str(client.make_url("/")), socketio_path="socket.io", wait_timeout=10, **kwargs
    )
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
