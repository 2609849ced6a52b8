"""Each user's place in the reports inbox: the date_added (µs) of the last report shown there.

The inbox (`/reports/inbox`) shows partners' reports added after it, oldest first, and moves it
on to the last one shown. NULL: the user has not opened the inbox yet (everything is new).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("inbox_after", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("inbox_after")
