"""Dashboard: the funnel's columns on conversations, and indexes for date-range queries.

``person_wrote`` marks the conversations where the person said something (what the
dashboard counts), so counting them does not look into ``messages`` row by row.

``furthest_step`` / ``solved_step`` are derived from ``steps_tried`` (``bot.funnel``),
so the funnel is a GROUP BY on every database instead of JSON functions each one spells
its own way; existing rows are filled in here.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from bot.funnel import funnel_columns

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("furthest_step", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("solved_step", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("person_wrote", sa.Integer(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE conversations SET person_wrote = 1 WHERE EXISTS (SELECT 1 FROM messages"
        " WHERE messages.conversation_id = conversations.id AND messages.author = 'person')"
    )
    op.create_index(
        "ix_conversations_dashboard",
        "conversations",
        ["created_at", "person_wrote", "language", "channel", "furthest_step", "solved_step", "id"],
    )
    op.create_index("ix_handoffs_created_at", "handoffs", ["created_at"])
    op.create_index("ix_inbound_mail_received_at", "inbound_mail", ["received_at", "language", "decision"])
    _fill_funnel_columns()


def _fill_funnel_columns() -> None:
    bind = op.get_bind()
    conversations = sa.table(
        "conversations",
        sa.column("id", sa.String),
        sa.column("steps_tried", sa.Text),
        sa.column("furthest_step", sa.Integer),
        sa.column("solved_step", sa.Integer),
    )
    rows = bind.execute(
        sa.select(conversations.c.id, conversations.c.steps_tried).where(
            conversations.c.steps_tried.is_not(None)
        )
    ).all()
    updates = []
    for conversation_id, raw in rows:
        try:
            steps = json.loads(raw) if isinstance(raw, str) else raw
        except ValueError:
            continue
        if isinstance(steps, list):
            updates.append({"key": conversation_id, **funnel_columns(steps)})
    statement = (
        conversations.update()
        .where(conversations.c.id == sa.bindparam("key"))
        .values(furthest_step=sa.bindparam("furthest_step"), solved_step=sa.bindparam("solved_step"))
    )
    for start in range(0, len(updates), _BATCH):
        bind.execute(statement, updates[start : start + _BATCH])


def downgrade() -> None:
    op.drop_index("ix_inbound_mail_received_at", table_name="inbound_mail")
    op.drop_index("ix_handoffs_created_at", table_name="handoffs")
    op.drop_index("ix_conversations_dashboard", table_name="conversations")
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("person_wrote")
        batch.drop_column("solved_step")
        batch.drop_column("furthest_step")
