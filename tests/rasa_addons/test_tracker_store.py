"""``rasa_addons.tracker_store``: what it serves from memory is what Rasa's SQL store reads
from the database, and a write by another server is never missed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_addons.tracker_store import CachingSQLTrackerStore
from tests.bot.databases import PostgresDatabases

pytestmark = pytest.mark.asyncio

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def turn(number: int, start: float) -> list:
    t = start + number * 10
    return [
        UserUttered(f"message {number}", {"name": "login_problem", "confidence": 0.9}, timestamp=t),
        SlotSet("language", "fr", timestamp=t + 1),
        BotUttered(f"answer {number}", timestamp=t + 2),
        ActionExecuted("action_listen", timestamp=t + 3),
    ]


def session(start: float) -> list:
    return [
        ActionExecuted("action_session_start", timestamp=start),
        SessionStarted(timestamp=start + 0.5),
        ActionExecuted("action_listen", timestamp=start + 1),
    ]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """The endpoints file's tracker_store options for a fresh database of each dialect.

    PostgreSQL as a scaled-out stack configures it: psycopg2 URL parts, and ``login_db``
    so that the first Rasa server creates the tracker database.
    """
    if request.param == "sqlite":
        return {"dialect": "sqlite", "db": str(tmp_path / "tracker.db")}
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    server = databases.server
    return {
        "dialect": "postgresql",
        "host": "127.0.0.1",
        "port": server.port,
        "db": databases.new_name("rasa"),
        "username": server.user,
        "password": server.password,
        "login_db": "postgres",
    }


def as_dicts(tracker: DialogueStateTracker | None) -> list[dict]:
    assert tracker is not None
    return [event.as_dict() for event in tracker.events]


async def test_memory_serves_what_the_database_holds(database: dict[str, Any], domain: Domain) -> None:
    cached = CachingSQLTrackerStore(domain, **database)
    plain = SQLTrackerStore(domain, **database)
    tracker = DialogueStateTracker.from_events("c1", session(1000.0) + turn(1, 1000.0), domain.slots)
    await cached.save(tracker)
    for number in range(2, 6):
        tracker = await cached.retrieve("c1")
        assert as_dicts(tracker) == as_dicts(await plain.retrieve("c1"))
        for event in turn(number, 1000.0):
            tracker.update(event)
        await cached.save(tracker)
    assert as_dicts(await cached.retrieve("c1")) == as_dicts(await plain.retrieve("c1"))
    assert (await cached.retrieve("c1")).get_slot("language") == "fr"
    # Every event is in the database once, as with Rasa's own store.
    assert len(as_dicts(await plain.retrieve_full_tracker("c1"))) == 3 + 5 * 4


async def test_a_write_by_another_server_is_read_from_the_database(
    database: dict[str, Any], domain: Domain
) -> None:
    here = CachingSQLTrackerStore(domain, **database)
    elsewhere = SQLTrackerStore(domain, **database)
    await here.save(DialogueStateTracker.from_events("c2", session(0.0) + turn(1, 0.0), domain.slots))
    tracker = await elsewhere.retrieve("c2")
    for event in turn(2, 0.0):
        tracker.update(event)
    await elsewhere.save(tracker)
    seen = await here.retrieve("c2")
    assert seen is not None and seen.latest_message.text == "message 2"


async def test_a_new_session_is_served_from_its_start(database: dict[str, Any], domain: Domain) -> None:
    cached = CachingSQLTrackerStore(domain, **database)
    plain = SQLTrackerStore(domain, **database)
    first = DialogueStateTracker.from_events("c3", session(0.0) + turn(1, 0.0), domain.slots)
    await cached.save(first)
    later = await cached.retrieve("c3")
    for event in session(5000.0) + turn(2, 5000.0):  # the session expired: a new one starts
        later.update(event)
    await cached.save(later)
    served = await cached.retrieve("c3")
    assert as_dicts(served) == as_dicts(await plain.retrieve("c3"))
    assert [e.get("text") for e in as_dicts(served) if e["event"] == "user"] == ["message 2"]
    # And the next turn stores only its own events.
    for event in turn(3, 5000.0):
        served.update(event)
    await cached.save(served)
    assert len(as_dicts(await plain.retrieve_full_tracker("c3"))) == 7 + 7 + 4


async def test_two_caching_servers_take_turns_and_neither_serves_a_stale_tracker(
    database: dict[str, Any], domain: Domain
) -> None:
    # Two Rasa servers behind a shared lock store: the turns of one conversation land on
    # either, and each server's memory holds the tracker as it last saved it.
    first = CachingSQLTrackerStore(domain, **database)
    second = CachingSQLTrackerStore(domain, **database)
    await first.save(DialogueStateTracker.from_events("c4", session(0.0) + turn(1, 0.0), domain.slots))
    servers = [second, first] * 3
    for number, server in enumerate(servers, start=2):
        tracker = await server.retrieve("c4")
        assert tracker is not None and tracker.latest_message.text == f"message {number - 1}", server
        for event in turn(number, 0.0):
            tracker.update(event)
        await server.save(tracker)
    for server in (first, second):
        seen = await server.retrieve("c4")
        assert [e.get("text") for e in as_dicts(seen) if e["event"] == "user"] == [
            f"message {n}" for n in range(1, len(servers) + 2)
        ]


async def test_on_postgresql_each_server_keeps_a_small_checked_pool(
    postgres_databases: PostgresDatabases, domain: Domain
) -> None:
    server = postgres_databases.server
    options = {
        "dialect": "postgresql",
        "host": "127.0.0.1",
        "port": server.port,
        "db": postgres_databases.new_name("rasa"),
        "username": server.user,
        "password": server.password,
    }
    # Without login_db the database must exist (an operator created it).
    postgres_databases.server.create_database(options["db"])
    store = CachingSQLTrackerStore(domain, pool_size=3, max_overflow=2, **options)
    pool = store.engine.pool
    assert (pool.size(), pool._max_overflow, pool._pre_ping) == (3, 2, True)  # type: ignore[attr-defined]
    await store.save(DialogueStateTracker.from_events("c5", session(0.0) + turn(1, 0.0), domain.slots))
    other = SQLTrackerStore(domain, **options)
    assert as_dicts(await other.retrieve("c5")) == as_dicts(await store.retrieve("c5"))
