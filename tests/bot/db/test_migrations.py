"""The Alembic migrations build exactly the schema the models describe, and undo it, on
SQLite and on PostgreSQL; hubs starting together on one PostgreSQL database migrate it once."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import alembic_config, create_engine, upgrade_to_head
from bot.db.models import Base
from bot.settings import Settings
from tests.bot.databases import BACKENDS, PostgresDatabases

pytestmark = pytest.mark.asyncio


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a database without any table, on each backend."""
    if request.param == "sqlite":
        return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'hub.db'}")
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    return Settings(database_url=databases.empty())


async def differences(engine: AsyncEngine) -> list[object]:
    async with engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
        )


async def tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_upgrade_matches_the_models_and_is_idempotent(empty_database: Settings) -> None:
    engine = create_engine(empty_database)  # also creates SQLite's missing directory
    try:
        await upgrade_to_head(engine)
        await upgrade_to_head(engine)  # every start runs it; nothing to do the second time
        assert await differences(engine) == []
        assert {
            "conversations",
            "messages",
            "accounts",
            "reset_tokens",
            "rate_limit_hits",
            "outbox",
            "caught_mail",
            "alembic_version",
        } <= await tables(engine)
    finally:
        await engine.dispose()


async def test_downgrade_to_base_removes_the_tables_and_upgrade_builds_them_again(
    empty_database: Settings,
) -> None:
    engine = create_engine(empty_database)
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "base"))
        assert await tables(engine) <= {"alembic_version"}
        await upgrade_to_head(engine)
        assert await differences(engine) == []
    finally:
        await engine.dispose()


async def test_hubs_starting_together_on_postgresql_migrate_once(
    postgres_databases: PostgresDatabases, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
    settings = Settings(database_url=postgres_databases.empty())
    engines = [create_engine(settings) for _ in range(3)]  # three hubs' own pools
    try:
        await asyncio.gather(*(upgrade_to_head(engine) for engine in engines))
        assert await differences(engines[0]) == []
    finally:
        for engine in engines:
            await engine.dispose()
    ran = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Running upgrade")]
    revisions = list(ScriptDirectory.from_config(alembic_config()).walk_revisions())
    assert len(ran) == len(revisions) and ran[0].startswith("Running upgrade  -> 0001"), ran
