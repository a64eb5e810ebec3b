"""Alembic environment for the hub database.

Two ways in:
- the hub at start (``bot.db.engine.upgrade_to_head``) hands over an open connection in
  ``config.attributes["connection"]``;
- the command line (``alembic upgrade head`` with ``alembic.ini`` at the project root)
  gets the URL from ``sqlalchemy.url`` or, failing that, from ``GEM_DATABASE_URL``.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from bot.db.models import Base

target_metadata = Base.metadata

if context.config.config_file_name is not None and context.config.attributes.get("connection") is None:
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)


def _configure_and_run(connection: Connection) -> None:
    from bot.db.engine import lock_migrations

    lock_migrations(connection)  # several hubs starting at once on PostgreSQL: one migrates
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _database_url() -> str:
    url = context.config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from bot.settings import Settings

    return Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_online_with_own_engine() -> None:
    from bot.db.engine import create_engine
    from bot.settings import Settings

    engine = create_engine(Settings(database_url=_database_url()))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_configure_and_run)
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection)
    else:
        asyncio.run(_run_online_with_own_engine())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
