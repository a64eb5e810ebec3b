"""Opening the database: the async engine, the session factory, and migrations at start.

Usage::

    engine = create_engine(settings)
    await upgrade_to_head(engine)                 # Alembic, programmatically
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        ...                                       # one unit of work
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import AsyncAdaptedQueuePool

from bot.db.dialect import advisory_key
from bot.settings import Settings

__all__ = [
    "MIGRATION_LOCK_KEY",
    "SessionFactory",
    "alembic_config",
    "configure_sqlite_connection",
    "create_engine",
    "lock_migrations",
    "session_factory",
    "upgrade_to_head",
]

MIGRATIONS_DIR = Path(__file__).absolute().parent.parent / "migrations"

SessionFactory = sessionmaker  # of AsyncSession; SQLAlchemy 1.4 has no async_sessionmaker


def create_engine(settings: Settings) -> AsyncEngine:
    """An engine for ``settings.database_url``; creates the SQLite file's directory."""
    url = make_url(settings.database_url)
    kwargs: dict[str, Any] = {"future": True}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # Wait for a competing writer instead of failing with "database is locked".
        kwargs["connect_args"] = {"timeout": settings.database_busy_timeout_seconds}
        if url.database and url.database != ":memory:":
            # Keep connections open between units of work. SQLAlchemy 1.4's default for
            # an aiosqlite file is NullPool: a new connection (and thread, and PRAGMAs)
            # for every unit of work, 5 ms instead of 1.5 ms each, and a chat turn has
            # several (tools/bench.py: the hub's p50 overhead went from ~35 to ~14 ms).
            kwargs["poolclass"] = AsyncAdaptedQueuePool
    else:
        # A server database (PostgreSQL over asyncpg): a bounded pool per hub, and a
        # connection the server dropped (restart, idle timeout, failover) is noticed and
        # replaced before a unit of work uses it instead of failing a person's turn.
        kwargs["pool_size"] = settings.database_pool_size
        kwargs["max_overflow"] = settings.database_max_overflow
        kwargs["pool_pre_ping"] = True
        # A connection older than this is replaced: no hub holds one across a server's
        # configuration reload or a proxy's idle cut for ever.
        kwargs["pool_recycle"] = 1800
        if url.get_backend_name() == "postgresql":
            # Like SQLite's busy timeout: a unit of work blocked by another transaction's
            # lock gives up after this long (the person is told to try again) instead of
            # waiting for ever.
            lock_ms = str(max(1, int(settings.database_busy_timeout_seconds * 1000)))
            kwargs["connect_args"] = {"server_settings": {"lock_timeout": lock_ms}}
    engine = create_async_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine.sync_engine, "connect", configure_sqlite_connection)
    return engine


def configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    """Every new SQLite connection: foreign keys enforced, write-ahead log."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the transcript be read while a message is being written.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> sessionmaker:
    """Sessions that keep loaded attributes after commit (no lazy I/O in async code)."""
    return sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic config pointing at ``bot/migrations``, without needing alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolation treats '%' specially (URL-encoded passwords).
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


# pg_advisory_xact_lock's key for "migrating the hub's schema" (bot.db.dialect's numbering).
MIGRATION_LOCK_KEY = advisory_key("gem-books hub migrations")


async def upgrade_to_head(engine: AsyncEngine) -> None:
    """Apply every pending migration on ``engine`` (what ``alembic upgrade head`` does).

    Several hubs may start at once on one PostgreSQL database: the first takes a
    transaction-level advisory lock and migrates, the others wait for its commit, then
    read the new version and find nothing to do. PostgreSQL's DDL is transactional, so a
    hub that dies half-way leaves the schema as it was and the lock free. SQLite needs no
    lock: its write transaction already lets one migrator in at a time.
    """

    def _upgrade(connection: Connection) -> None:
        # Locked before Alembic starts: its context is one global per process, which two
        # upgrades interleaving in one event loop (tests, a CLI in the hub) would share.
        # env.py locks again (the same transaction already holds it: no wait).
        lock_migrations(connection)
        command.upgrade(alembic_config(connection), "head")

    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)


def lock_migrations(connection: Connection) -> None:
    """Wait until no other migrator holds the schema; hold it until this transaction ends.

    Called by ``bot/migrations/env.py`` before Alembic reads the current version, so the
    hub at start and ``alembic upgrade``/``downgrade`` by hand queue behind each other.
    """
    if connection.dialect.name != "postgresql":
        return
    # However long another hub's migration takes: no lock_timeout while we wait.
    connection.execute(text("SET LOCAL lock_timeout = 0"))
    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
