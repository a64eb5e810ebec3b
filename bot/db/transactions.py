"""Short write transactions on the chat turn's path, in one hop off the event loop.

Usage::

    transactions = Transactions.for_engine(engine, settings)
    status = await transactions.run(work)   # work(connection) runs in one transaction
    await transactions.close()

``work`` is a plain function of a synchronous SQLAlchemy ``Connection``; it runs in one
transaction, committed when it returns and rolled back when it raises.

On a SQLite file, every statement over aiosqlite is several trips between the event loop
and aiosqlite's thread (execute, fetch, close the cursor), each a wake-up of the loop and a
hand-over of the GIL. Here the whole transaction runs in one dedicated thread on a
synchronous connection to the same file (pysqlite, the same PRAGMAs): one trip there and
back. The chat turn's transaction: 0.9 ms this way, 2.9 ms in an async session
(``python -m tools.bench_turn_store``, quiet machine). One thread is enough, as SQLite lets one writer in at a time anyway, and
turns then queue in the order they arrived instead of waiting on the file's lock.

On a server database (PostgreSQL over asyncpg, no threads involved) and on an in-memory
SQLite database (which a second engine could not see), the same function runs on the
async engine through ``AsyncConnection.run_sync``.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from bot.db.engine import configure_sqlite_connection
from bot.settings import Settings

__all__ = ["Transactions", "Work"]

T = TypeVar("T")
Work = Callable[[Connection], T]


class Transactions(abc.ABC):
    """Runs short units of work in one transaction each (see the module docstring)."""

    @staticmethod
    def for_engine(engine: AsyncEngine, settings: Settings) -> Transactions:
        """The thread for a SQLite file, else ``engine`` itself."""
        url = make_url(settings.database_url)
        database = url.database or ""
        if url.get_backend_name() == "sqlite" and database and database != ":memory:":
            return _SQLiteThread(
                url.set(drivername="sqlite+pysqlite"), settings.database_busy_timeout_seconds
            )
        return _OnAsyncEngine(engine)

    @abc.abstractmethod
    async def run(self, work: Work[T]) -> T:
        """``work`` in one transaction; its result, or its exception after the rollback."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections and threads; ``run`` must not be called afterwards."""


class _OnAsyncEngine(Transactions):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def run(self, work: Work[T]) -> T:
        async with self._engine.begin() as connection:
            return await connection.run_sync(work)

    async def close(self) -> None:
        """Nothing of its own to release: the engine is the hub's, disposed with it."""


class _SQLiteThread(Transactions):
    def __init__(self, url: URL, busy_timeout_seconds: float) -> None:
        self._engine: Engine = create_engine(
            url,
            future=True,
            # One connection, kept open: the one thread is its only user.
            poolclass=QueuePool,
            pool_size=1,
            max_overflow=0,
            # Opened by the thread; closed by ``close`` (the same thread) or at exit.
            connect_args={"timeout": busy_timeout_seconds, "check_same_thread": False},
        )
        event.listen(self._engine, "connect", configure_sqlite_connection)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gem-sqlite-writes")

    def _transaction(self, work: Work[T]) -> T:
        with self._engine.begin() as connection:
            return work(connection)

    async def run(self, work: Work[T]) -> T:
        done = asyncio.get_running_loop().run_in_executor(self._thread, self._transaction, work)
        try:
            return await asyncio.shield(done)
        except asyncio.CancelledError:
            # The caller was cancelled (its connection closed); the transaction still runs
            # to its end in the thread. Wait for that, so what the caller holds until its
            # transaction is over (a conversation's turn lock) is not released before.
            await asyncio.wait([done])
            if not done.cancelled():
                done.exception()  # its outcome is the caller's to learn no more
            raise

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(self._thread, self._engine.dispose)
        self._thread.shutdown(wait=False)
