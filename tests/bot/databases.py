"""The hub's database in tests: a SQLite file, or a fresh database on a private PostgreSQL.

Usage::

    # tests/conftest.py: the session's server; tests/bot/conftest.py:
    @pytest.fixture
    def database_backend(request) -> str: ...        # "sqlite" unless parametrized

    def pytest_generate_tests(metafunc):
        both_backends(metafunc)                      # every test using `engine` runs on both

    @pytest.mark.database_backends("postgresql")     # a hub test on PostgreSQL only
    async def test_chat(client): ...

One PostgreSQL server per pytest session, started the first time a test asks for it and
stopped at the end. The schema is migrated once into a template database; each test gets
``CREATE DATABASE … TEMPLATE`` of it (a file copy, tens of milliseconds), so a test on
PostgreSQL starts from the same migrated, empty schema as one on a fresh SQLite file.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.db.engine import create_engine, upgrade_to_head
from bot.settings import Settings
from tools.local_services import PostgresServer

__all__ = ["BACKENDS", "PostgresDatabases", "both_backends", "database_url"]

BACKENDS = ("sqlite", "postgresql")
MARKER = "database_backends"
TEMPLATE = "hub_template"


class PostgresDatabases:
    """A private PostgreSQL server handing out fresh, migrated databases."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self._numbers = itertools.count(1)
        self._migrated = False

    def _execute(self, sql: str) -> None:
        import psycopg2

        connection = psycopg2.connect(
            self.server.url(driver="psycopg2").replace("postgresql+psycopg2", "postgresql")
        )
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def new_name(self, prefix: str) -> str:
        """A database name no test used yet (the caller creates the database)."""
        return f"{prefix}_{next(self._numbers)}"

    def empty(self, prefix: str = "empty") -> str:
        """A new database without any table (for migration tests); its asyncpg URL."""
        return self.server.create_database(self.new_name(prefix))

    def migrated(self) -> str:
        """A new database at the newest schema, copied from the template; its asyncpg URL."""
        if not self._migrated:
            url = self.server.create_database(TEMPLATE)
            try:
                # In a thread of its own: asyncio.run would unset the test's event loop.
                with concurrent.futures.ThreadPoolExecutor(1) as thread:
                    thread.submit(asyncio.run, _migrate(url)).result()
            except BaseException:
                # The next test then reports the migration's own error again, not "exists".
                self._execute(f'DROP DATABASE "{TEMPLATE}"')
                raise
            self._migrated = True
        name = self.new_name("hub")
        # FILE_COPY: copies the template's few files instead of WAL-logging every block.
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}" STRATEGY FILE_COPY')
        return self.server.url(name)


async def _migrate(url: str) -> None:
    engine = create_engine(Settings(database_url=url))
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()  # a template must have no open connection when copied


def postgres_databases_fixture() -> Iterator[PostgresDatabases]:
    """Body of the session fixture: the server lives until the last test is done."""
    with PostgresServer() as server:
        yield PostgresDatabases(server)


def database_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    """The URL of a fresh, migrated hub database for ``backend``."""
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    if backend == "postgresql":
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        return databases.migrated()
    raise ValueError(f"unknown database backend {backend!r}; expected one of {BACKENDS}")


def both_backends(metafunc: pytest.Metafunc) -> None:
    """Run a test on each backend its marker names, or on both when it uses ``engine``."""
    if "database_backend" not in metafunc.fixturenames:
        return
    if any("database_backend" in _argnames(mark) for mark in metafunc.definition.iter_markers("parametrize")):
        return  # the test chose its own
    marker = metafunc.definition.get_closest_marker(MARKER)
    if marker is not None:
        backends = list(marker.args)
    elif "engine" in metafunc.fixturenames:
        backends = list(BACKENDS)
    else:
        return
    metafunc.parametrize("database_backend", backends, indirect=True, scope="function")


def _argnames(mark: pytest.Mark) -> list[str]:
    names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
    if isinstance(names, str):
        return [name.strip() for name in names.split(",")]
    return list(names)
