"""The chat's transactions: one trip to a thread on a SQLite file, the async engine elsewhere."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import Session

from bot.db.conversations import ConversationStore, PersonMessage
from bot.db.engine import create_engine, session_factory, upgrade_to_head
from bot.db.models import Conversation, Message, utcnow
from bot.db.transactions import Transactions, in_session
from bot.settings import Settings


async def _messages(engine: AsyncEngine, conversation_id: str) -> list[tuple[str, str]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(Message.author, Message.text)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.id)
        )
        return [(author, text) for author, text in rows]


def _insert_person(conversation_id: str, text: str) -> object:
    return insert(Message).values(conversation_id=conversation_id, ts=utcnow(), author="person", text=text)


@pytest_asyncio.fixture
async def transactions(engine: AsyncEngine, settings: Settings) -> AsyncIterator[Transactions]:
    """What the hub builds for its database; closed after the test."""
    transactions = Transactions.for_engine(engine, settings)
    yield transactions
    await transactions.close()


@pytest_asyncio.fixture(params=["transactions", "session"])
async def hub_or_none(
    request: pytest.FixtureRequest, engine: AsyncEngine, settings: Settings
) -> AsyncIterator[Transactions | None]:
    """The hub's ``Transactions``, or None as the command-line tools and tests have it."""
    if request.param == "session":
        yield None
        return
    transactions = Transactions.for_engine(engine, settings)
    yield transactions
    await transactions.close()


@pytest_asyncio.fixture
async def conversation_id(engine: AsyncEngine, settings: Settings) -> str:
    return (await ConversationStore(session_factory(engine), settings).create("fr", "widget")).id


@pytest.mark.database_backends("sqlite")
async def test_on_a_sqlite_file_the_work_runs_in_one_thread_and_commits(
    engine: AsyncEngine, transactions: Transactions, conversation_id: str
) -> None:
    threads = []

    def work(connection: Connection) -> int:
        threads.append(threading.current_thread())
        connection.execute(_insert_person(conversation_id, "bonjour"))
        return int(connection.execute(select(func.count()).select_from(Message)).scalar_one())

    assert await transactions.run(work) == 1
    assert await transactions.run(work) == 2
    assert threads[0] is threads[1] and threads[0] is not threading.main_thread()
    assert threads[0].name.startswith("gem-sqlite-writes")
    # Committed: the hub's async engine (another connection) reads both.
    assert await _messages(engine, conversation_id) == [("person", "bonjour")] * 2


async def test_a_failing_work_is_rolled_back_and_its_error_raised(
    engine: AsyncEngine, transactions: Transactions, conversation_id: str
) -> None:
    def work(connection: Connection) -> None:
        connection.execute(_insert_person(conversation_id, "perdu"))
        raise LookupError("after the insert")

    with pytest.raises(LookupError, match="after the insert"):
        await transactions.run(work)
    # The connection is usable again afterwards.
    await transactions.run(lambda connection: connection.execute(_insert_person(conversation_id, "gardé")))
    assert await _messages(engine, conversation_id) == [("person", "gardé")]


@pytest.mark.database_backends("sqlite")
async def test_a_cancelled_caller_returns_only_once_its_transaction_is_over(
    engine: AsyncEngine, transactions: Transactions, conversation_id: str
) -> None:
    # The relay holds the conversation's turn lock until its transaction is over; a turn
    # cancelled mid-way (the person's connection closed) must not release it earlier.
    started = threading.Event()

    def slow(connection: Connection) -> None:
        connection.execute(_insert_person(conversation_id, "lent"))
        started.set()
        time.sleep(0.3)

    task = asyncio.create_task(transactions.run(slow))
    while not started.is_set():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _messages(engine, conversation_id) == [("person", "lent")]


async def test_after_close_no_work_is_taken(engine: AsyncEngine, settings: Settings) -> None:
    transactions = Transactions.for_engine(engine, settings)
    await transactions.run(lambda connection: connection.execute(select(1)))
    await transactions.close()
    if settings.database_url.startswith("sqlite"):
        with pytest.raises(RuntimeError):
            await transactions.run(lambda connection: connection.execute(select(1)))


async def test_an_in_memory_database_is_written_through_the_hub_engine(tmp_path: Path) -> None:
    # A second engine on ":memory:" would open another, empty database.
    settings = Settings(database_url="sqlite+aiosqlite:///:memory:")
    engine = create_engine(settings)
    try:
        await upgrade_to_head(engine)
        transactions = Transactions.for_engine(engine, settings)
        tables = await transactions.run(
            lambda connection: connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE name = 'messages'"
            ).all()
        )
        await transactions.close()
    finally:
        await engine.dispose()
    assert len(tables) == 1


async def test_record_turn_stores_the_same_either_way(
    engine: AsyncEngine, settings: Settings, hub_or_none: Transactions | None
) -> None:
    store = ConversationStore(session_factory(engine), settings, hub_or_none)
    conversation = await store.create("fr", "widget")
    person = PersonMessage("mot de passe oublié", None, utcnow(), "forgot_password", 0.93, "fr")
    turn = await store.record_turn(
        conversation.id,
        person,
        [("assistant", "Voici comment faire.", [{"title": "Oui", "payload": "/affirm"}])],
        steps_tried=("reset_link:tried",),
        shown_step=1,
    )
    assert turn.status == "bot" and turn.person.id is not None
    assert [reply.text for reply in turn.replies] == ["Voici comment faire."]
    # People took the conversation while Rasa answered: the replies are not stored.
    async with engine.begin() as connection:
        await connection.execute(
            Conversation.__table__.update().where(Conversation.id == conversation.id).values(status="agent")
        )
    dropped = await store.record_turn(
        conversation.id, dataclasses.replace(person, text="allô?"), [("assistant", "Jamais vu", None)]
    )
    assert dropped.status == "agent" and dropped.replies == []
    stored = await store.get(conversation.id)
    assert stored is not None and stored.steps_tried == ["reset_link:tried"]
    assert await _messages(engine, conversation.id) == [
        ("person", "mot de passe oublié"),
        ("assistant", "Voici comment faire."),
        ("person", "allô?"),
    ]
    transcript = await store.transcript(conversation.id)
    assert transcript[0].intent == "forgot_password" and transcript[0].confidence == pytest.approx(0.93)
    assert transcript[1].buttons == [{"title": "Oui", "payload": "/affirm"}]


async def test_in_a_session_work_commits_and_what_it_returns_stays_readable(
    engine: AsyncEngine, settings: Settings, hub_or_none: Transactions | None, conversation_id: str
) -> None:
    threads = []

    def switch_to_english(session: Session) -> Conversation:
        threads.append(threading.current_thread().name)
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        conversation.language = "en"
        session.add(Message(conversation_id=conversation_id, ts=utcnow(), author="person", text="hello"))
        return conversation

    def fails_after_a_change(session: Session) -> None:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        conversation.language = "fr"
        raise LookupError("after the change")

    returned = await in_session(session_factory(engine), hub_or_none, switch_to_english)
    with pytest.raises(LookupError, match="after the change"):
        await in_session(session_factory(engine), hub_or_none, fails_after_a_change)
    # Read after the commit, outside any session: nothing was expired.
    assert returned.language == "en" and returned.id == conversation_id
    stored = await ConversationStore(session_factory(engine), settings).get(conversation_id)
    assert stored is not None and stored.language == "en"  # the failed change rolled back
    assert await _messages(engine, conversation_id) == [("person", "hello")]
    if hub_or_none is not None and settings.database_url.startswith("sqlite"):
        assert threads[0].startswith("gem-sqlite-writes")
    else:
        assert threads[0] == threading.main_thread().name
