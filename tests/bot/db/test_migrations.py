"""The Alembic migrations build exactly the schema the models describe, and undo it."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from bot.db.engine import alembic_config, create_engine, upgrade_to_head
from bot.db.models import Base
from bot.settings import Settings

pytestmark = pytest.mark.asyncio


def settings_for(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'hub.db'}")


async def test_upgrade_matches_the_models_and_is_idempotent(tmp_path: Path) -> None:
    engine = create_engine(settings_for(tmp_path))  # also creates the missing directory
    try:
        await upgrade_to_head(engine)
        await upgrade_to_head(engine)  # every start runs it; nothing to do the second time
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata)
            )
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    assert diff == []
    assert {
        "conversations",
        "messages",
        "accounts",
        "reset_tokens",
        "rate_limit_hits",
        "outbox",
        "caught_mail",
        "alembic_version",
    } <= set(tables)


async def test_downgrade_to_base_removes_the_tables(tmp_path: Path) -> None:
    engine = create_engine(settings_for(tmp_path))
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.downgrade(alembic_config(sync), "base"))
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    finally:
        await engine.dispose()
    assert set(tables) <= {"alembic_version"}
