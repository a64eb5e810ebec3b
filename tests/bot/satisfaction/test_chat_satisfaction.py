""" "Did this help?" in the chat, through the real hub (real SQLite, the WebSocket and
socket.io channels), with a stand-in Rasa whose tracker says how the flow ended."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.app import init_app
from bot.appkeys import AGENTS, ENGINE, HANDOFFS, SATISFACTION, STORE
from bot.db.engine import session_factory
from bot.db.feedback_models import Satisfaction
from bot.settings import Settings
from tests.bot.accounts.conftest import INTERNAL_TOKEN, quick_argon2
from tests.bot.chat.test_socketio_channel import connect
from tests.bot.conftest import ClientFactory, hello, internal_url, of_type, say
from tests.bot.console.conftest import ANA, login
from tests.bot.fake_rasa import FakeRasa

__all__ = ["quick_argon2"]

pytestmark = [pytest.mark.asyncio]


@pytest_asyncio.fixture
async def hub_with_fake_rasa(
    aiohttp_client: ClientFactory, settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> tuple[TestClient, FakeRasa]:
    """The real hub, the fake Rasa, the internal API open to the "action server", an agent."""
    fake, url = fake_rasa
    changed = dataclasses.replace(
        settings, rasa_url=url, action_server_url=url, internal_token=INTERNAL_TOKEN
    )
    client = await aiohttp_client(init_app(changed))
    await client.app[AGENTS].create(*ANA)
    return client, fake


async def answers(client: TestClient) -> list[Satisfaction]:
    async with session_factory(client.app[ENGINE])() as session:
        return list((await session.scalars(select(Satisfaction).order_by(Satisfaction.id))).all())


async def next_frame(ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = await ws.receive_json(timeout=10)
        if frame["type"] == kind:
            return frame


async def test_a_solved_step_asks_once_and_the_answer_is_stored(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, fake = hub_with_fake_rasa
    async with client.ws_connect("/ws") as ws:
        await hello(ws)
        frames = await say(ws, "je n'arrive plus à me brancher")
        assert of_type(frames, "satisfaction") == []  # nothing solved yet

        fake.steps_tried = ["main_site:failed", "browsers:solved"]
        frames = await say(ws, "oui ça marche")
        [asked] = of_type(frames, "satisfaction")
        # After the turn's replies, before "typing off".
        kinds = [frame["type"] for frame in frames]
        assert kinds.index("satisfaction") > max(i for i, k in enumerate(kinds) if k == "message")
        assert asked == {
            "type": "satisfaction",
            "state": "asked",
            "language": "fr",
            "question": "Est-ce que ça vous a aidé ?",
            "options": [{"answer": "yes", "title": "Oui"}, {"answer": "no", "title": "Non"}],
        }
        calls = len(fake.webhook_calls)

        await ws.send_json({"type": "satisfaction", "answer": "yes", "comment": "  Le favori, c'était ça. "})
        thanks = await ws.receive_json(timeout=10)
        assert thanks["type"] == "satisfaction" and thanks["state"] == "answered"
        assert thanks["message"].startswith("Merci de votre réponse")

        # A second answer is refused, in the person's language, and changes nothing.
        await ws.send_json({"type": "satisfaction", "answer": "no", "comment": None})
        refused = await ws.receive_json(timeout=10)
        assert refused == {
            "type": "error",
            "code": "bad_request",
            "message": "Vous avez déjà répondu à cette question. Merci!",
        }
        # Asked once per conversation: the next solved turn does not ask again.
        frames = await say(ws, "merci")
        assert of_type(frames, "satisfaction") == []
    assert len(fake.webhook_calls) == calls + 1  # the answers never went to Rasa
    [row] = await answers(client)
    assert (row.channel, row.language, row.topic, row.step, row.resolved_by, row.answer) == (
        "widget",
        "fr",
        "login_problem",
        "browsers",
        "assistant",
        "yes",
    )
    assert row.comment == "Le favori, c'était ça."
    assert row.inbound_mail_id is None


async def test_an_answer_nobody_asked_for_is_refused(hub_with_fake_rasa: tuple[TestClient, FakeRasa]) -> None:
    client, _ = hub_with_fake_rasa
    async with client.ws_connect("/ws") as ws:
        await hello(ws, language="en")
        await ws.send_json({"type": "satisfaction", "answer": "no", "comment": "nothing was asked"})
        refused = await ws.receive_json(timeout=10)
        assert refused["code"] == "bad_request"
        assert refused["message"] == "No satisfaction question was asked in this conversation."
    assert await answers(client) == []


async def test_malformed_answers_are_refused_and_the_question_stays_open(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, fake = hub_with_fake_rasa
    fake.steps_tried = ["main_site:solved"]
    async with client.ws_connect("/ws") as ws:
        await hello(ws, language="en")
        frames = await say(ws, "I can't log in")
        [asked] = of_type(frames, "satisfaction")
        assert (asked["language"], asked["question"]) == ("en", "Did this help?")
        for bad in (
            {"answer": "maybe"},
            {"answer": "yes", "comment": "x" * 1001},
            {"answer": "yes", "comment": "bad\x00byte"},
            {"answer": "yes", "comment": 12},
        ):
            await ws.send_json({"type": "satisfaction", **bad})
            refused = await ws.receive_json(timeout=10)
            assert refused["type"] == "error" and refused["code"] == "bad_request", bad
        await ws.send_json({"type": "satisfaction", "answer": "no", "comment": "x" * 1000})
        thanks = await next_frame(ws, "satisfaction")
        assert thanks["message"].startswith("Thank you for telling us")
    [row] = await answers(client)
    assert (row.language, row.answer, len(row.comment or "")) == ("en", "no", 1000)


async def test_the_question_comes_back_after_a_reconnect_until_answered(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, fake = hub_with_fake_rasa
    fake.steps_tried = ["clear_data:solved"]
    async with client.ws_connect("/ws") as ws:
        welcome = await hello(ws)
        await say(ws, "je n'arrive plus à me brancher")
    async with client.ws_connect("/ws") as ws:
        await hello(ws, conversation_id=welcome["conversation_id"])
        again = await ws.receive_json(timeout=10)
        assert again["type"] == "satisfaction" and again["state"] == "asked"
        await ws.send_json({"type": "satisfaction", "answer": "yes", "comment": None})
        await next_frame(ws, "satisfaction")
    async with client.ws_connect("/ws") as ws:
        await hello(ws, conversation_id=welcome["conversation_id"])
        with pytest.raises(asyncio.TimeoutError):
            await ws.receive_json(timeout=0.5)  # answered: not asked again
    [row] = await answers(client)
    assert row.step == "clear_data"


async def test_a_reset_mail_sent_during_the_turn_asks_at_its_end(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, _ = hub_with_fake_rasa
    async with client.ws_connect("/ws") as ws:
        welcome = await hello(ws)
        # What the action server does in the middle of the turn that sends the mail.
        async with client.session.post(
            internal_url(client, "/internal/accounts/password-reset"),
            json={
                "user_code": "JTREMBLAY01",
                "email": "julie.tremblay@example.com",
                "language": "fr",
                "conversation_id": welcome["conversation_id"],
            },
            headers={"Authorization": f"Bearer {INTERNAL_TOKEN}"},
        ) as response:
            assert response.status == 202
        frames = await say(ws, "JTREMBLAY01")
        [asked] = of_type(frames, "satisfaction")
        assert asked["state"] == "asked"
        await ws.send_json({"type": "satisfaction", "answer": "yes", "comment": None})
        await next_frame(ws, "satisfaction")
    [row] = await answers(client)
    assert (row.topic, row.step, row.resolved_by) == ("forgot_password", None, "assistant")


async def test_an_agent_resolving_the_handoff_asks_the_person(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, _ = hub_with_fake_rasa
    async with client.ws_connect("/ws") as ws:
        welcome = await hello(ws, language="en")
        await say(ws, "I want to talk to a person")
        async with client.session.post(
            internal_url(client, "/internal/handoffs"),
            json={
                "conversation_id": welcome["conversation_id"],
                "reason": "requested_by_person",
                "language": "en",
            },
            headers={"Authorization": f"Bearer {INTERNAL_TOKEN}"},
        ) as response:
            handoff_id = (await response.json())["handoff_id"]
        await next_frame(ws, "support")
        token = await login(client)
        async with client.post(f"/console/c/{handoff_id}/claim", data={"csrf": token}):
            pass
        async with client.post(
            f"/console/c/{handoff_id}/resolve",
            data={"csrf": token, "outcome": "solved"},
            allow_redirects=False,
        ) as response:
            assert response.status == 302
        closed = await next_frame(ws, "support")
        assert closed["state"] == "closed"
        asked = await next_frame(ws, "satisfaction")
        assert (asked["state"], asked["question"]) == ("asked", "Did this help?")
        await ws.send_json({"type": "satisfaction", "answer": "no", "comment": "still locked out"})
        await next_frame(ws, "satisfaction")
    [row] = await answers(client)
    assert (row.resolved_by, row.answer, row.comment, row.channel) == (
        "agent",
        "no",
        "still locked out",
        "widget",
    )
    # The fake Rasa reads every message as login_problem: the topic, not "request_human".
    assert (row.topic, row.step, row.language) == ("login_problem", None, "en")
    handoff = await client.app[HANDOFFS].store.get(handoff_id)
    assert handoff is not None and handoff.status == "resolved"


@pytest.mark.usefixtures("engineio_client_compat")
async def test_socketio_gets_quick_replies_answered_by_the_hub_not_rasa(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, fake = hub_with_fake_rasa
    chat = await connect(client, transports=["websocket"])
    try:
        session_id = await chat.session()
        await chat.say("/satisfaction_yes", session_id, customData={"language": "fr"})
        refused = await chat.next_utterance()
        assert refused == {"text": "Aucune question de satisfaction n'a été posée dans cette conversation."}
        fake.steps_tried = ["browsers:solved"]
        await chat.say("oui", session_id)
        utterances = [await chat.next_utterance() for _ in range(3)]
        question = utterances[-1]
        assert question == {
            "text": "Est-ce que ça vous a aidé ?",
            "quick_replies": [
                {"content_type": "text", "title": "Oui", "payload": "/satisfaction_yes"},
                {"content_type": "text", "title": "Non", "payload": "/satisfaction_no"},
            ],
        }
        await chat.say("/satisfaction_no", session_id)
        thanks = await chat.next_utterance()
        assert thanks["text"].startswith("Merci de nous l'avoir dit")
        await chat.say("/satisfaction_yes", session_id)
        assert (await chat.next_utterance())["text"] == "Vous avez déjà répondu à cette question. Merci!"
    finally:
        await chat.sio.disconnect()
    assert all("satisfaction" not in call["message"] for call in fake.webhook_calls)
    [row] = await answers(client)
    assert (row.channel, row.answer, row.step) == ("socketio", "no", "browsers")


async def test_the_topic_is_what_the_person_asked_about_not_the_request_for_a_person(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, _ = hub_with_fake_rasa
    store = client.app[STORE]
    satisfaction = client.app[SATISFACTION].store
    conversation = await store.create("fr", "widget")
    for text, intent in (
        ("j'ai oublié mon code d'utilisateur", "forgot_user_code"),
        ("oui", "affirm"),
        ("je veux parler à quelqu'un", "request_human"),
    ):
        message = await store.add_message(conversation.id, "person", text)
        await store.record_understanding(message.id, intent, 0.9, "fr")
    question = await satisfaction.ask_after_handoff(conversation.id, "fr")
    assert question is not None and (question.topic, question.resolved_by) == ("forgot_user_code", "agent")
    assert await satisfaction.ask_after_handoff(conversation.id, "fr") is None  # once

    only_a_person = await store.create("en", "socketio")
    message = await store.add_message(only_a_person.id, "person", "agent please")
    await store.record_understanding(message.id, "request_human", 0.95, "en")
    question = await satisfaction.ask_after_handoff(only_a_person.id, "en")
    assert question is not None and question.topic == "request_human"
    # A mail thread is never asked in a chat.
    by_mail = await store.create("fr", "email")
    assert await satisfaction.ask_after_handoff(by_mail.id, "fr") is None
