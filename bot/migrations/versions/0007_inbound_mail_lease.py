"""Inbound mail is leased like the outbox: a claim token and its expiry (bot.jobs).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.db.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_mail") as batch:
        batch.add_column(sa.Column("claimed_until", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("claim", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_mail") as batch:
        batch.drop_column("claim")
        batch.drop_column("claimed_until")
