"""Email triage: the sentence a triage decision rests on.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_mail") as batch:
        batch.add_column(sa.Column("deciding_text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbound_mail") as batch:
        batch.drop_column("deciding_text")
