"""Migration 0009 fills the funnel columns and ``person_wrote`` of existing conversations (both databases)."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from bot.db.engine import alembic_config, create_engine, upgrade_to_head
from bot.settings import Settings
from tests.bot.db.test_migrations import empty_database

__all__ = ["empty_database"]  # on SQLite and on PostgreSQL


async def test_existing_conversations_get_their_funnel_columns(empty_database: Settings) -> None:
    engine = create_engine(empty_database)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), "0008"))
            for cid, steps in (("a", '["main_site:failed", "browsers:solved"]'), ("b", '["main_site:failed"]'),
                               ("c", None)):  # fmt: skip
                await connection.execute(
                    text(
                        "INSERT INTO conversations (id, resume_code, language, channel, status, steps_tried,"
                        " created_at, updated_at) VALUES (:id, :code, 'fr', 'widget', 'bot', :steps,"
                        " '2026-11-01 10:00:00.000000', '2026-11-01 10:00:00.000000')"
                    ),
                    {"id": cid, "code": f"CODE{cid}", "steps": steps},
                )
            await connection.execute(
                text(
                    "INSERT INTO messages (conversation_id, ts, author, text) VALUES"
                    " ('a', '2026-11-01 10:00:00', 'person', 'bonjour'), ('c', '2026-11-01 10:00:00', 'assistant', 'x')"
                )
            )
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT id, furthest_step, solved_step, person_wrote FROM conversations ORDER BY id")
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [("a", 2, 2, 1), ("b", 2, None, 0), ("c", None, None, 0)]
