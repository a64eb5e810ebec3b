"""Satisfaction: "Did this help?" answers from the widget and from mail answers.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "satisfaction",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id",
            sa.String(64),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column(
            "inbound_mail_id",
            sa.Integer(),
            sa.ForeignKey("inbound_mail.id", ondelete="CASCADE"),
            nullable=True,
        ),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("topic", sa.String(64), nullable=True),
        sa.Column("step", sa.String(32), nullable=True),
        sa.Column("resolved_by", sa.String(16), nullable=False),
        sa.Column("answer", sa.String(8), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("answer IN ('yes', 'no')", name="answer"),
        sa.CheckConstraint("channel IN ('widget', 'socketio', 'mail')", name="channel"),
        sa.CheckConstraint("(conversation_id IS NOT NULL) OR (inbound_mail_id IS NOT NULL)", name="subject"),
        sa.UniqueConstraint("conversation_id"),
        sa.UniqueConstraint("inbound_mail_id"),
    )
    op.create_index("ix_satisfaction_created_at", "satisfaction", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_satisfaction_created_at", table_name="satisfaction")
    op.drop_table("satisfaction")
