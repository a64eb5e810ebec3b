"""Short write transactions on the chat's path, in one hop off the event loop.

Usage::

    transactions = Transactions.for_engine(engine, settings)
    status = await transactions.run(work)                  # work(connection), one transaction
    question = await transactions.run_in_session(ask)      # ask(session), one transaction
    await transactions.close()
    question = await in_session(sessions, None, ask)       # no Transactions: an async session

``work`` is a plain function of a synchronous SQLAlchemy ``Connection``, or of an ORM
``Session`` for ``run_in_session``; it runs in one transaction, committed when it returns
and rolled back when it raises. The session does not expire what it loaded at commit (like
the hub's async sessions), so the objects it returns can still be read.

On a SQLite file, every statement over aiosqlite is several trips between the event loop
and aiosqlite's thread (execute, fetch, close the cursor), each a wake-up of the loop and a
hand-over of the GIL. Here the whole transaction runs in one dedicated thread on a
synchronous connection to the same file (pysqlite, the same PRAGMAs): one trip there and
back. The chat turn's transaction: 0.9 ms this way, 2.9 ms in an async session
(``python -m tools.bench_turn_store``, quiet machine). One thread is enough, as SQLite lets
one writer in at a time anyway, and turns then queue in the order they arrived instead of
waiting on the file's lock. What runs here: the turn (``ConversationStore.record_turn``), a
new conversation and its rate-limit count (``ConversationStore.create``,
``SharedRateLimits.hit``), and "did this help?" after a solved turn
(``SatisfactionStore.ask_after_turn``); the rest of the hub uses its async sessions.

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
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from bot.db.engine import configure_sqlite_connection
from bot.settings import Settings

__all__ = ["SessionWork", "Transactions", "Work", "in_session"]

T = TypeVar("T")
Work = Callable[[Connection], T]
SessionWork = Callable[[Session], T]


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
    async def run_in_session(self, work: SessionWork[T]) -> T:
        """``work`` in one transaction of an ORM session; as :meth:`run` otherwise."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections and threads; ``run`` must not be called afterwards."""


async def in_session(sessions: sessionmaker, transactions: Transactions | None, work: SessionWork[T]) -> T:
    """``work`` in one transaction: through ``transactions`` when the store has them (the
    hub), else in one of ``sessions`` (an async session: command-line tools, tests)."""
    if transactions is not None:
        return await transactions.run_in_session(work)
    async with sessions() as session, session.begin():
        return await session.run_sync(work)


class _OnAsyncEngine(Transactions):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def run(self, work: Work[T]) -> T:
        async with self._engine.begin() as connection:
            return await connection.run_sync(work)

    async def run_in_session(self, work: SessionWork[T]) -> T:
        async with AsyncSession(self._engine, expire_on_commit=False) as session, session.begin():
            return await session.run_sync(work)

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
        self._sessions = sessionmaker(self._engine, future=True, expire_on_commit=False)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gem-sqlite-writes")

    def _transaction(self, work: Work[T]) -> T:
        with self._engine.begin() as connection:
            return work(connection)

    def _session_transaction(self, work: SessionWork[T]) -> T:
        with self._sessions.begin() as session:
            return work(session)

    async def run(self, work: Work[T]) -> T:
        return await self._in_thread(self._transaction, work)

    async def run_in_session(self, work: SessionWork[T]) -> T:
        return await self._in_thread(self._session_transaction, work)

    async def _in_thread(self, transaction: Callable[[Callable[..., T]], T], work: Callable[..., T]) -> T:
        done = asyncio.get_running_loop().run_in_executor(self._thread, transaction, work)
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
