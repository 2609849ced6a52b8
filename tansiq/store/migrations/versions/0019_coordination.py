"""Tables for the coordination feed between nodes, and where each operation was planned
(`operations.origin`: "" here, else the peer whose node sent the copy) (issue 6).

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("operations") as batch:
        batch.add_column(sa.Column("origin", sa.String(32), nullable=False, server_default=""))
    op.create_table(
        "coordination_outbox",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("topic", sa.String(16), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("body", sa.Text, nullable=True),
        sa.Column("every_peer", sa.Boolean, nullable=False),
        sa.Column("red", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_coordination_outbox"),
    )
    op.create_table(
        "coordination_audience",
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"],
            ["coordination_outbox.seq"],
            name="fk_coordination_audience_seq_coordination_outbox",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", "partner_code", name="pk_coordination_audience"),
    )


def downgrade() -> None:
    with op.batch_alter_table("operations") as batch:
        batch.drop_column("origin")
    op.drop_table("coordination_audience")
    op.drop_table("coordination_outbox")
