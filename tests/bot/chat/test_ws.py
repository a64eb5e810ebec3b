"""The widget's WebSocket protocol (bot/chat/ws.py), on the real app and a real SQLite file.

Rasa is down in these tests (nothing listens on its port): every message must still be
kept, and the person told, in their language, to write to the support address.
"""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient

from tests.bot.conftest import hello, of_type, say

pytestmark = pytest.mark.asyncio


def id_bits(conversation_id: str) -> int:
    padded = conversation_id + "=" * (-len(conversation_id) % 4)
    return len(base64.urlsafe_b64decode(padded)) * 8


async def test_hello_opens_a_new_conversation_with_an_unguessable_id(hub: TestClient) -> None:
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws)
    assert id_bits(welcome["conversation_id"]) >= 128
    assert welcome["language"] == "fr"
    assert welcome["transcript"] == []
    code = welcome["resume_code"]
    assert len(code.replace("-", "")) == 8 and code == code.upper()


async def test_two_hellos_get_two_different_conversations(hub: TestClient) -> None:
    async with hub.ws_connect("/ws") as one, hub.ws_connect("/ws") as two:
        first, second = await hello(one), await hello(two)
    assert first["conversation_id"] != second["conversation_id"]
    assert first["resume_code"] != second["resume_code"]


@pytest.mark.parametrize("made_up", ["abc", "x" * 32, "../../etc/passwd", "' OR 1=1 --", 12345, {"id": 1}])
async def test_a_made_up_conversation_id_gets_a_new_conversation(hub: TestClient, made_up: object) -> None:
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws, conversation_id=made_up)
    assert welcome["conversation_id"] != made_up
    assert id_bits(welcome["conversation_id"]) >= 128
    assert welcome["transcript"] == []


async def test_rasa_down_keeps_the_message_and_gives_the_support_address_in_french(
    hub: TestClient,
) -> None:
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws, language="fr")
        frames = await say(ws, "je n'arrive plus à me brancher")
    assert [f["type"] for f in frames] == ["typing", "error", "typing"]
    error = of_type(frames, "error")[0]
    assert error["code"] == "assistant_unavailable"
    assert "soutien@gem-books.com" in error["message"]
    assert "indisponible" in error["message"]

    async with hub.ws_connect("/ws") as ws:
        again = await hello(ws, conversation_id=welcome["conversation_id"])
    assert again["conversation_id"] == welcome["conversation_id"]
    assert [(line["author"], line["text"]) for line in again["transcript"]] == [
        ("person", "je n'arrive plus à me brancher")
    ]


async def test_rasa_down_answers_in_english_for_an_english_widget(hub: TestClient) -> None:
    async with hub.ws_connect("/ws") as ws:
        await hello(ws, language="en")
        frames = await say(ws, "I can't log in")
    error = of_type(frames, "error")[0]
    assert error["code"] == "assistant_unavailable"
    assert "unavailable" in error["message"] and "soutien@gem-books.com" in error["message"]


async def test_set_language_switches_the_error_language(hub: TestClient) -> None:
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws, language="fr")
        await ws.send_json({"type": "set_language", "language": "en"})
        frames = await say(ws, "x" * 2001)
        again = await hello(ws, conversation_id=welcome["conversation_id"], language="en")
    assert frames[0]["code"] == "too_long"
    assert "too long" in frames[0]["message"]
    assert again["language"] == "en"


@pytest.mark.parametrize(
    ("text", "code", "french_words"),
    [
        ("a" * 2001, "too_long", "trop long"),
        ("😀" * 10_000, "too_long", "trop long"),
        ("mot de passe\x00", "bad_request", "caractères"),
        ("bonjour \u202egnp.exe", "bad_request", "caractères"),
        ("\ud800 lone surrogate", "bad_request", "caractères"),
        ("   ", "bad_request", "vide"),
    ],
    ids=["2001 chars", "10000 emoji", "NUL", "RTL override", "lone surrogate", "blank"],
)
async def test_unacceptable_text_gets_a_localized_error_and_the_connection_stays_usable(
    hub: TestClient, text: str, code: str, french_words: str
) -> None:
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws)
        # ensure_ascii (the default) keeps a lone surrogate sendable, as JSON.stringify does.
        await ws.send_str(json.dumps({"type": "message", "text": text, "payload": None}))
        error = await ws.receive_json(timeout=10)
        assert error == {"type": "error", "code": code, "message": error["message"]}
        assert french_words in error["message"]
        frames = await say(ws, "merci")  # still usable
        assert frames[0] == {"type": "typing", "on": True}
        assert not ws.closed
    async with hub.ws_connect("/ws") as ws:
        again = await hello(ws, conversation_id=welcome["conversation_id"])
    assert [line["text"] for line in again["transcript"]] == ["merci"]


async def test_accents_and_emoji_go_through_unchanged(hub: TestClient) -> None:
    text = "Où est mon code d'utilisateur ? 🙂 Ça ne marche pas — ليس"
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws)
        frames = await say(ws, text)
        assert of_type(frames, "error")[0]["code"] == "assistant_unavailable"
    async with hub.ws_connect("/ws") as ws:
        again = await hello(ws, conversation_id=welcome["conversation_id"])
    assert again["transcript"][0]["text"] == text


@pytest.mark.parametrize(
    "frame",
    [
        "not json at all",
        "[1, 2, 3]",
        '{"no_type": true}',
        '{"type": "launch_missiles"}',
        '{"type": "message", "text": 42}',
        '{"type": "set_language", "language": "de"}',
        "null",
    ],
)
async def test_malformed_frames_get_bad_request(hub: TestClient, frame: str) -> None:
    async with hub.ws_connect("/ws") as ws:
        await hello(ws)
        await ws.send_str(frame)
        error = await ws.receive_json(timeout=10)
        assert error["type"] == "error" and error["code"] == "bad_request"
        assert error["message"]
        await ws.send_json({"type": "set_language", "language": "en"})
        await ws.send_str("{")
        assert (await ws.receive_json(timeout=10))["message"] == (
            "That message could not be read. Please try again."
        )


async def test_binary_frames_get_bad_request(hub: TestClient) -> None:
    async with hub.ws_connect("/ws") as ws:
        await hello(ws)
        await ws.send_bytes(b"\x00\xff\xfe binary junk")
        error = await ws.receive_json(timeout=10)
        assert error["code"] == "bad_request"
        assert (await say(ws, "encore là ?"))[0]["type"] == "typing"


async def test_a_message_before_hello_is_refused(hub: TestClient) -> None:
    async with hub.ws_connect("/ws") as ws:
        frames = await say(ws, "bonjour")
        assert frames[0]["code"] == "bad_request"
        assert (await hello(ws))["type"] == "welcome"


async def test_a_flood_is_rate_limited_once_and_the_connection_recovers(aiohttp_client, settings) -> None:
    import dataclasses

    from bot.app import init_app

    settings = dataclasses.replace(settings, rate_limit_messages=5, rate_limit_window_seconds=1.0)
    hub = await aiohttp_client(init_app(settings))
    async with hub.ws_connect("/ws") as ws:
        await hello(ws)  # 1 frame of 5
        for _ in range(30):
            await ws.send_str("junk")
        frames = []
        while True:
            try:
                frames.append(await ws.receive_json(timeout=0.5))
            except asyncio.TimeoutError:
                break
        codes = [f["code"] for f in frames]
        assert codes.count("bad_request") == 4
        assert codes.count("rate_limited") == 1
        assert "trop rapidement" in of_type(frames, "error")[-1]["message"]
        await asyncio.sleep(1.1)
        assert (await say(ws, "bonjour"))[0] == {"type": "typing", "on": True}


async def test_a_foreign_origin_cannot_open_the_chat(hub: TestClient) -> None:
    response = await hub.get(
        "/ws",
        headers={
            "Origin": "https://evil.example",
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode(),
        },
    )
    assert response.status == 403


async def test_the_hubs_own_origin_can_open_the_chat(hub: TestClient) -> None:
    for origin in ("http://127.0.0.1:8000", "http://localhost:8000"):
        async with hub.ws_connect("/ws", origin=origin) as ws:
            assert (await hello(ws))["type"] == "welcome"


async def test_shutdown_closes_chats_with_going_away(aiohttp_client, settings) -> None:
    from bot.app import init_app

    client = await aiohttp_client(init_app(settings))
    ws = await client.ws_connect("/ws")
    await hello(ws)
    await client.server.app.shutdown()
    message = await ws.receive(timeout=10)
    assert message.type == WSMsgType.CLOSE
    assert message.data == 1001
