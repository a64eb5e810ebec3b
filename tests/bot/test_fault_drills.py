"""Fault drills: a dependency goes away in the middle of a conversation and comes back.
Each time nothing the person wrote is lost and nothing is answered twice (issue 14).

Here: Rasa killed, the hub restarted, the real action server stopped under the real Rasa,
the database locked by another connection. SMTP down (or hanging) then back is drilled in
tests/bot/mail/test_smtp_faults.py: the outbox keeps the mail and sends it exactly once.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy.engine import make_url

from bot.app import init_app
from bot.appkeys import STORE
from bot.settings import PROJECT_ROOT, Settings
from tests.bot.conftest import ClientFactory, hello, of_type, say
from tests.bot.fake_rasa import FakeRasa
from tools.stack import RasaStack, free_port


async def test_rasa_killed_mid_conversation_then_back(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    fake, port = FakeRasa(), free_port()
    url = f"http://127.0.0.1:{port}"
    hub = await aiohttp_client(init_app(dataclasses.replace(settings, rasa_url=url, action_server_url=url)))
    rasa = TestServer(fake.app(), port=port)
    await rasa.start_server()
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws)
        assert of_type(await say(ws, "je n'arrive plus à me brancher"), "message")

        await rasa.close()  # Rasa dies
        frames = await say(ws, "ça ne marche toujours pas")
        [error] = of_type(frames, "error")
        assert error["code"] == "assistant_unavailable" and "soutien@gem-books.com" in error["message"]

        rasa = TestServer(fake.app(), port=port)  # and comes back on the same address
        await rasa.start_server()
        frames = await say(ws, "j'utilise Chrome")
        assert of_type(frames, "message") and not of_type(frames, "error")
    await rasa.close()
    transcript = await hub.app[STORE].transcript(welcome["conversation_id"])
    said = [m.text for m in transcript if m.author == "person"]
    assert said == ["je n'arrive plus à me brancher", "ça ne marche toujours pas", "j'utilise Chrome"]
    assert [c["message"] for c in fake.webhook_calls] == [
        "je n'arrive plus à me brancher",
        "j'utilise Chrome",
    ]


async def test_hub_restarted_mid_conversation(aiohttp_client: ClientFactory, settings: Settings) -> None:
    fake, port = FakeRasa(), free_port()
    url = f"http://127.0.0.1:{port}"
    configured = dataclasses.replace(settings, rasa_url=url, action_server_url=url)
    rasa = TestServer(fake.app(), port=port)
    await rasa.start_server()
    try:
        first = await aiohttp_client(init_app(configured))
        async with first.ws_connect("/ws") as ws:
            welcome = await hello(ws)
            await say(ws, "je n'arrive plus à me brancher")
        await first.close()  # the hub goes away (its database file stays)

        second = await aiohttp_client(init_app(dataclasses.replace(configured, internal_port=free_port())))
        async with second.ws_connect("/ws") as ws:  # the widget reconnects with its id
            again = await hello(ws, conversation_id=welcome["conversation_id"])
            assert again["conversation_id"] == welcome["conversation_id"]
            assert [line["text"] for line in again["transcript"] if line["author"] == "person"] == [
                "je n'arrive plus à me brancher"
            ]
            assert of_type(await say(ws, "j'utilise Chrome"), "message")
    finally:
        await rasa.close()
    assert len(fake.webhook_calls) == 2


@asynccontextmanager
async def database_locked(settings: Settings) -> AsyncIterator[None]:
    """Another connection holds a write transaction on the hub's database meanwhile.

    The lock is taken in a thread: the hub shares this event loop, and a transaction of
    its own (a background job's) may need the loop to finish before the lock can be had.
    """
    url = make_url(settings.database_url)
    if url.get_backend_name() == "postgresql":
        import psycopg2

        connection = psycopg2.connect(
            host=url.host, port=url.port, user=url.username, password=url.password, dbname=url.database
        )
        try:
            with connection.cursor() as cursor:  # psycopg2 opens the transaction itself
                # Writes wait, reads go on: what SQLite's BEGIN IMMEDIATE does to others.
                await asyncio.to_thread(
                    cursor.execute, "LOCK TABLE conversations, messages IN EXCLUSIVE MODE"
                )
                yield
            connection.commit()
        finally:
            connection.close()
        return
    other = sqlite3.connect(str(url.database), isolation_level=None, check_same_thread=False)
    try:
        await asyncio.to_thread(other.execute, "BEGIN IMMEDIATE")
        yield
        other.execute("COMMIT")
    finally:
        other.close()


async def hub_with_fake(
    aiohttp_client: ClientFactory, settings: Settings, **changes: object
) -> tuple[TestClient, FakeRasa]:
    fake, port = FakeRasa(), free_port()
    rasa = TestServer(fake.app(), port=port)
    await rasa.start_server()
    url = f"http://127.0.0.1:{port}"
    hub = await aiohttp_client(
        init_app(dataclasses.replace(settings, rasa_url=url, action_server_url=url, **changes))
    )
    return hub, fake


async def person_lines(hub: TestClient, conversation_id: str) -> list[str]:
    return [m.text for m in await hub.app[STORE].transcript(conversation_id) if m.author == "person"]


@pytest.mark.database_backends("sqlite", "postgresql")
async def test_database_busy_for_a_few_seconds_the_turn_waits_and_nothing_is_lost(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    hub, fake = await hub_with_fake(aiohttp_client, settings)
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws)
        async with database_locked(settings):
            turn = asyncio.ensure_future(say(ws, "je n'arrive plus à me brancher"))
            await asyncio.sleep(2.0)
            assert not turn.done()  # waiting for the other writer, not failing
        frames = await asyncio.wait_for(turn, 30)
        assert of_type(frames, "message") and not of_type(frames, "error")
    assert await person_lines(hub, welcome["conversation_id"]) == ["je n'arrive plus à me brancher"]
    assert len(fake.webhook_calls) == 1


@pytest.mark.database_backends("sqlite", "postgresql")
async def test_database_busy_too_long_the_person_is_told_and_can_try_again(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    hub, fake = await hub_with_fake(aiohttp_client, settings, database_busy_timeout_seconds=0.5)
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws, language="en")
        await say(ws, "hello, I can't log in")
        async with database_locked(settings):
            frames = await say(ws, "still not working")
            if not of_type(frames, "error"):  # sent after "typing off", when the turn failed
                frames.append(await ws.receive_json(timeout=10))
            [error] = of_type(frames, "error")
            assert error["code"] == "assistant_unavailable"
            assert error["message"].startswith("A technical problem prevents us from handling that message.")
            assert "soutien@gem-books.com" in error["message"]
        # The lock is gone: the same connection carries on.
        frames = await say(ws, "still not working")
        assert of_type(frames, "message") and not of_type(frames, "error")
    # What was refused was not half-kept: each message once, each answered once.
    assert await person_lines(hub, welcome["conversation_id"]) == [
        "hello, I can't log in",
        "still not working",
    ]
    assert [call["message"] for call in fake.webhook_calls] == ["hello, I can't log in", "still not working"]


async def test_action_server_down_mid_conversation_then_back(
    aiohttp_client: ClientFactory, settings: Settings, tmp_path: Path
) -> None:
    """The real Rasa and action server; only the action server goes away."""
    if not list((PROJECT_ROOT / "models").glob("*.tar.gz")):
        pytest.skip("no trained model in models/ (run `make train`)")
    async with RasaStack(PROJECT_ROOT, log_dir=tmp_path / "stack") as stack:
        configured = dataclasses.replace(
            settings, rasa_url=stack.rasa_url, rasa_token=stack.token, action_server_url=stack.actions_url,
            rasa_timeout_seconds=60.0,
        )  # fmt: skip
        hub = await aiohttp_client(init_app(configured))
        async with hub.ws_connect("/ws") as ws:
            welcome = await hello(ws, language="en")
            assert of_type(await say(ws, "Hello"), "message")

            await stack.stop_actions()
            frames = await say(ws, "I can't log in to GEM-BOOKS")
            [error] = of_type(frames, "error")
            assert error["code"] == "assistant_unavailable"
            assert error["message"].startswith(
                "The assistant is temporarily unavailable. Your message has been saved."
            )

            await stack.start_actions()
            frames = await say(ws, "I still can't log in to GEM-BOOKS")
            assert of_type(frames, "message") and not of_type(frames, "error")
        transcript = await hub.app[STORE].transcript(welcome["conversation_id"])
    said = [m.text for m in transcript if m.author == "person"]
    assert said == ["Hello", "I can't log in to GEM-BOOKS", "I still can't log in to GEM-BOOKS"]
    # The answer after the outage is the troubleshooting's first step, given once.
    replies = [m.text for m in transcript if m.author == "assistant"]
    assert len(replies) == len(set(replies))


async def test_database_busy_too_long_then_something_else_keeps_both_messages_once(
    aiohttp_client: ClientFactory, settings: Settings
) -> None:
    """Rasa took the message the database refused: the transcript keeps it, without the
    replies the person never saw, and the next message is answered as usual."""
    hub, fake = await hub_with_fake(aiohttp_client, settings, database_busy_timeout_seconds=0.5)
    async with hub.ws_connect("/ws") as ws:
        welcome = await hello(ws)
        async with database_locked(settings):
            frames = await say(ws, "mon code usager est JTREMBLAY01")
            if not of_type(frames, "error"):
                frames.append(await ws.receive_json(timeout=10))
            assert of_type(frames, "error")[0]["code"] == "assistant_unavailable"
        frames = await say(ws, "j'utilise Chrome")
        assert [m["text"] for m in of_type(frames, "message")][0] == "Vous avez écrit : j'utilise Chrome"
    lines = [(m.author, m.text) for m in await hub.app[STORE].transcript(welcome["conversation_id"])]
    assert lines == [
        ("person", "mon code usager est JTREMBLAY01"),
        ("person", "j'utilise Chrome"),
        ("assistant", "Vous avez écrit : j'utilise Chrome"),
        ("assistant", "Quel navigateur utilisez-vous ?"),
    ]
    assert [call["message"] for call in fake.webhook_calls] == [
        "mon code usager est JTREMBLAY01",
        "j'utilise Chrome",
    ]
