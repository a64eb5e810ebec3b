"""Fixtures for every test folder: a private PostgreSQL server, started only when asked for.

Servers the tests start (PostgreSQL, Redis, haproxy, Rasa…) run detached from pytest, so a
SIGTERM (a CI timeout, ``kill``) is turned into the KeyboardInterrupt that Ctrl-C gives:
pytest then runs the fixtures' teardown and stops them instead of leaving them running.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from types import FrameType

import pytest

from tests.bot.databases import PostgresDatabases, postgres_databases_fixture


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_sessionstart(session: pytest.Session) -> None:
    signal.signal(signal.SIGTERM, _interrupt)


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    """One PostgreSQL server for the session, started by the first test that needs it."""
    yield from postgres_databases_fixture()
