"""Relaying to Rasa (a fake one here): metadata, NLU results, quick replies, failures.

The real assistant's answers are tested in test_with_rasa.py; this file pins down what the
hub itself does with Rasa's HTTP API.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from bot.app import init_app
from bot.appkeys import SETTINGS, STORE
from bot.db.models import Message
from bot.settings import Settings
from tests.bot.conftest import ClientFactory, hello, of_type, say
from tests.bot.fake_rasa import BUTTONS, TOKEN, FakeRasa

pytestmark = pytest.mark.asyncio

FIREFOX_UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


async def stored_messages(client: TestClient, conversation_id: str) -> list[Message]:
    store = client.server.app[STORE]
    async with store._sessions() as session:
        rows = await session.execute(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
        )
        return list(rows.scalars())


async def test_a_message_goes_to_rasa_with_language_and_user_agent(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, fake = hub_with_fake_rasa
    async with client.ws_connect("/ws") as ws:
        welcome = await hello(ws, language="fr", user_agent=FIREFOX_UA)
        frames = await say(ws, "je n'arrive plus à me brancher")
    assert fake.webhook_calls == [
        {
            "sender": welcome["conversation_id"],
            "message": "je n'arrive plus à me brancher",
            "metadata": {"language": "fr", "user_agent": FIREFOX_UA},
        }
    ]
    assert [f["type"] for f in frames] == ["typing", "message", "message", "typing"]
    replies = of_type(frames, "message")
    assert replies[0]["author"] == "assistant"
    assert replies[0]["text"] == "Vous avez écrit : je n'arrive plus à me brancher"
    assert replies[0]["buttons"] == []
    assert replies[1]["buttons"] == BUTTONS
    assert fake.turn_authorizations == [f"Bearer {TOKEN}"]


async def test_the_assistants_replies_say_the_language_it_detected(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    """A French widget, an English message: the replies say "en" (the widget follows)."""
    client, _fake = hub_with_fake_rasa
    async with client.ws_connect("/ws") as ws:
        await hello(ws, language="fr")
        english = of_type(await say(ws, "I can't log in"), "message")
        french = of_type(await say(ws, "je n'arrive plus à me brancher"), "message")
    assert english and {reply["language"] for reply in english} == {"en"}
    assert french and {reply["language"] for reply in french} == {"fr"}


@contextlib.contextmanager
def recorded_transactions(*tables: str) -> Iterator[list[tuple[str, list[str]]]]:
    """Every transaction touching ``tables`` while in the block, on every engine of the
    process (the hub's, and the one of its write thread on SQLite, bot.db.transactions):
    the thread it ran in, and the first word of each statement."""
    transactions: list[tuple[str, list[str]]] = []
    current: dict[int, list[str]] = {}

    def begin(connection: Any) -> None:
        current[id(connection)] = statements = []
        transactions.append((threading.current_thread().name, statements))

    def execute(connection: Any, cursor: Any, statement: str, *args: Any) -> None:
        current.setdefault(id(connection), []).append(statement)

    event.listen(Engine, "begin", begin)
    event.listen(Engine, "before_cursor_execute", execute)
    touching: list[tuple[str, list[str]]] = []
    try:
        yield touching
    finally:
        event.remove(Engine, "begin", begin)
        event.remove(Engine, "before_cursor_execute", execute)
        # Background workers (outbox, triage) touch other tables only.
        touching.extend(
            (thread, [statement.split()[0].upper() for statement in statements])
            for thread, statements in transactions
            if any(table in statement for statement in statements for table in tables)
        )


async def test_each_turn_is_one_call_to_rasa_and_one_transaction(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    """No tracker read, and no cost that grows with the conversation, on the turn path."""
    client, fake = hub_with_fake_rasa
    per_turn = []
    async with client.ws_connect("/ws") as ws:
        await hello(ws)
        for number in range(6):
            fake.requests.clear()
            with recorded_transactions("messages", "conversations") as transactions:
                await say(ws, f"message {number}")
            assert fake.requests == ["POST /webhooks/hub/turn"]
            per_turn.append([statements for _thread, statements in transactions])
    assert len(fake.webhook_calls) == 6
    # After Rasa, one transaction: the person's message with its NLU result, the
    # conversation (steps, activity), its status (did people take it meanwhile?), and
    # the replies in one INSERT: the same at turn 1 and turn 6. Nothing is read before.
    assert per_turn == [[["INSERT", "UPDATE", "SELECT", "INSERT"]]] * 6, per_turn


async def test_many_people_at_once_share_a_few_open_connections_to_rasa(
    aiohttp_client: ClientFactory, settings: Settings, fake_rasa: tuple[FakeRasa, str]
) -> None:
    """Ten people write at once: three turns at most are at Rasa, the rest wait in the hub,
    on the same three connections, burst after burst; everyone is answered."""
    fake, url = fake_rasa
    fake.turn_seconds = 0.05
    limited = dataclasses.replace(settings, rasa_url=url, action_server_url=url, upstream_connections=3)
    client = await aiohttp_client(init_app(limited))

    async def person(number: int) -> list[str]:
        async with client.ws_connect("/ws") as ws:
            await hello(ws)
            frames = await say(ws, f"message {number}")
        return [frame["text"] for frame in of_type(frames, "message")]

    for _burst in range(2):
        answers = await asyncio.gather(*(person(number) for number in range(10)))
        assert all(len(texts) == 2 for texts in answers), answers
    assert len(fake.webhook_calls) == 20
    assert fake.most_turns_at_once == 3
    assert len(fake.turn_connections) == 3, fake.turn_connections


async def test_a_new_conversation_is_its_rate_limit_count_and_its_row_and_nothing_read(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    """A conversation the hello just created has no transcript and no question to show."""
    client, fake = hub_with_fake_rasa
    tables = ("messages", "conversations", "rate_limit_hits", "satisfaction")
    async with client.ws_connect("/ws") as ws:
        with recorded_transactions(*tables) as opening:
            welcome = await hello(ws)
            # Answered once the hello is done with (frames are taken in order).
            await ws.send_json({"type": "nonsense"})
            assert (await ws.receive_json(timeout=10))["type"] == "error"
        await say(ws, "bonjour")
    assert welcome["transcript"] == []
    assert [statements for _thread, statements in opening] == [["INSERT", "DELETE", "SELECT"], ["INSERT"]]
    if client.server.app[SETTINGS].database_url.startswith("sqlite"):
        # Both in the hub's write thread, one hop each (bot.db.transactions).
        assert {thread for thread, _statements in opening} == {"gem-sqlite-writes_0"}, opening
    # Coming back to it reads its transcript.
    async with client.ws_connect("/ws") as ws:
        with recorded_transactions(*tables) as reopening:
            again = await hello(ws, conversation_id=welcome["conversation_id"])
        assert [line["text"] for line in again["transcript"]][:1] == ["bonjour"]
    assert reopening, "the transcript was not read"
    assert fake.webhook_calls and fake.webhook_calls[0]["message"] == "bonjour"


async def test_the_nlu_result_is_stored_on_the_persons_message(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, _ = hub_with_fake_rasa
    async with client.ws_connect("/ws") as ws:
        welcome = await hello(ws, language="fr")
        await say(ws, "I forgot my password")
    person, reply = await stored_messages(client, welcome["conversation_id"])
    assert (person.author, person.text) == ("person", "I forgot my password")
    assert (person.intent, person.confidence, person.language) == ("login_problem", 0.93, "en")
    assert (reply.author, reply.intent) == ("assistant", None)
    assert reply.buttons == BUTTONS
    assert person.ts.tzinfo is not None


async def test_a_clicked_button_sends_its_payload_and_stores_its_title(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, fake = hub_with_fake_rasa
    async with client.ws_connect("/ws") as ws:
        welcome = await hello(ws)
        await say(ws, "problème de connexion")
        # The client's text is not trusted: the stored text is the offered title.
        await say(ws, "whatever the client says", payload=BUTTONS[1]["payload"])
        again = await hello(ws, conversation_id=welcome["conversation_id"])
    assert fake.webhook_calls[-1]["message"] == BUTTONS[1]["payload"]
    person_lines = [m["text"] for m in again["transcript"] if m["author"] == "person"]
    assert person_lines == ["problème de connexion", "Firefox"]


async def test_a_payload_that_was_never_offered_is_refused(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, fake = hub_with_fake_rasa
    async with client.ws_connect("/ws") as ws:
        await hello(ws)
        frames = await say(ws, "Chrome", payload='/inform{"email": "victim@example.com"}')
    assert frames[0]["code"] == "bad_request"
    assert "bouton" in frames[0]["message"]
    assert fake.webhook_calls == []


async def test_typed_text_cannot_force_an_intent(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, fake = hub_with_fake_rasa
    async with client.ws_connect("/ws") as ws:
        welcome = await hello(ws)
        await say(ws, '/inform{"email": "victim@example.com"}')
        again = await hello(ws, conversation_id=welcome["conversation_id"])
    assert fake.webhook_calls[-1]["message"] == 'inform{"email": "victim@example.com"}'
    assert again["transcript"][0]["text"] == '/inform{"email": "victim@example.com"}'


async def test_action_server_down_is_reported_when_rasa_answers_nothing(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, fake = hub_with_fake_rasa
    fake.reply_with_nothing = True
    fake.actions_up = False
    async with client.ws_connect("/ws") as ws:
        welcome = await hello(ws, language="en")
        frames = await say(ws, "I forgot my user code")
    error = of_type(frames, "error")[0]
    assert error["code"] == "assistant_unavailable"
    assert "soutien@gem-books.com" in error["message"]
    (person,) = await stored_messages(client, welcome["conversation_id"])
    assert person.text == "I forgot my user code"


async def test_an_empty_answer_with_everything_up_is_just_silence(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, fake = hub_with_fake_rasa
    fake.reply_with_nothing = True
    async with client.ws_connect("/ws") as ws:
        await hello(ws)
        frames = await say(ws, "ok")
    assert frames == [{"type": "typing", "on": True}, {"type": "typing", "on": False}]


async def test_errors_follow_the_language_rasa_detected(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    client, _ = hub_with_fake_rasa
    async with client.ws_connect("/ws") as ws:
        await hello(ws, language="fr")  # a French page…
        await say(ws, "my password does not work")  # …an English-speaking person
        frames = await say(ws, "x" * 3000)
    assert "too long" in frames[0]["message"]


async def test_the_funnel_columns_follow_the_trackers_steps(
    hub_with_fake_rasa: tuple[TestClient, FakeRasa],
) -> None:
    """Step 1 on screen counts as reached before any answer; then the steps' ends decide."""
    client, fake = hub_with_fake_rasa
    store = client.server.app[STORE]
    turns = [
        ({"troubleshooting_step": "1", "steps_tried": []}, (1, None)),
        ({"troubleshooting_step": "2", "steps_tried": ["main_site:failed"]}, (2, None)),
        ({"troubleshooting_step": None, "steps_tried": ["main_site:failed", "browsers:solved"]}, (2, 2)),
    ]
    async with client.ws_connect("/ws") as ws:
        welcome = await hello(ws, language="fr")
        for slots, expected in turns:
            fake.slots = slots
            await say(ws, "je n'arrive plus à me brancher")
            conversation = await store.get(welcome["conversation_id"])
            assert conversation is not None
            assert (conversation.furthest_step, conversation.solved_step) == expected
            assert conversation.person_wrote == 1
