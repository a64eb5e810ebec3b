"""Fixtures for every test folder: a private PostgreSQL server, started only when asked for."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.bot.databases import PostgresDatabases, postgres_databases_fixture


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    """One PostgreSQL server for the session, started by the first test that needs it."""
    yield from postgres_databases_fixture()
