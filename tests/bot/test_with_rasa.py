"""The hub relaying to the real assistant: the trained model, the real Rasa and action servers.

Started once per test session by ``tools.stack.RasaStack`` (in its own thread and event
loop, so every test keeps its own loop). Skipped while there is no trained model in
``models/``.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient

from bot.app import init_app
from bot.settings import Settings
from tests.bot.chat.test_relay import stored_messages
from tests.bot.conftest import hello, of_type, say

pytestmark = [pytest.mark.asyncio, pytest.mark.usefixtures("engineio_client_compat")]

FIREFOX_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


@pytest_asyncio.fixture
async def hub_with_rasa(aiohttp_client: Any, settings: Settings, rasa_stack: Any) -> TestClient:
    app = init_app(
        dataclasses.replace(
            settings,
            rasa_url=rasa_stack.rasa_url,
            rasa_token=rasa_stack.token,
            action_server_url=rasa_stack.actions_url,
            rasa_timeout_seconds=60.0,
        )
    )
    return await aiohttp_client(app)


async def test_healthz_is_green_with_the_real_stack(hub_with_rasa: TestClient) -> None:
    response = await hub_with_rasa.get("/healthz")
    body = await response.json()
    assert response.status == 200, body
    assert body["checks"]["rasa"]["model"].endswith(".tar.gz")


async def test_a_french_login_problem_gets_french_help_and_its_nlu_is_stored(
    hub_with_rasa: TestClient,
) -> None:
    async with hub_with_rasa.ws_connect("/ws") as ws:
        welcome = await hello(ws, language="fr", user_agent=FIREFOX_UA)
        frames = await say(ws, "je n'arrive plus à me brancher")
    assert of_type(frames, "error") == []
    replies = of_type(frames, "message")
    assert replies, frames
    assert all(reply["author"] == "assistant" for reply in replies)
    person = (await stored_messages(hub_with_rasa, welcome["conversation_id"]))[0]
    assert person.text == "je n'arrive plus à me brancher"
    assert person.intent == "login_problem"
    assert person.confidence is not None and 0 < person.confidence <= 1
    assert person.language == "fr"


async def test_an_english_message_is_understood_as_english(hub_with_rasa: TestClient) -> None:
    async with hub_with_rasa.ws_connect("/ws") as ws:
        welcome = await hello(ws, language="en", user_agent=FIREFOX_UA)
        frames = await say(ws, "I forgot my password and I can't log in")
    replies = of_type(frames, "message")
    assert replies, frames
    assert "password" in replies[0]["text"] or "Step 1" in replies[0]["text"], replies
    person = (await stored_messages(hub_with_rasa, welcome["conversation_id"]))[0]
    assert person.language == "en"
    assert person.intent in {"forgot_password", "login_problem"}


async def test_clicking_no_on_step_one_brings_step_two(hub_with_rasa: TestClient) -> None:
    async with hub_with_rasa.ws_connect("/ws") as ws:
        await hello(ws, language="fr")
        frames = await say(ws, "je n'arrive plus à me brancher")
        first = of_type(frames, "message")
        assert "CONNEXION" in first[0]["text"], first
        no = next(b for m in first for b in m["buttons"] if b["payload"] == "/deny")
        frames = await say(ws, no["title"], payload=no["payload"])
    assert of_type(frames, "error") == []
    assert "Étape 2" in of_type(frames, "message")[0]["text"]


async def test_switching_the_widget_to_english_switches_the_assistant(
    hub_with_rasa: TestClient,
) -> None:
    async with hub_with_rasa.ws_connect("/ws") as ws:
        await hello(ws, language="fr")
        frames = await say(ws, "je n'arrive plus à me brancher")
        assert "Étape 1" in of_type(frames, "message")[0]["text"]
        await ws.send_json({"type": "set_language", "language": "en"})
        # "no" is too short to tell a language: only the switch can make this English.
        frames = await say(ws, "no")
    assert "Step 2" in of_type(frames, "message")[0]["text"], frames


async def test_socketio_round_trip_with_the_real_assistant(hub_with_rasa: TestClient) -> None:
    from tests.bot.chat.test_socketio_channel import connect

    chat = await connect(hub_with_rasa, transports=["websocket"])
    try:
        session_id = await chat.session()
        await chat.say("mot de passe oublié", session_id, customData={"language": "fr"})
        utterance = await asyncio.wait_for(chat.uttered.get(), 60)
        assert utterance["text"]
    finally:
        await chat.sio.disconnect()
