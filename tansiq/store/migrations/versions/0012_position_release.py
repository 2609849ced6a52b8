"""Positions get a marking: a TLP column and who each is released to (position_audience).

Every position already stored keeps to its own partner (TLP:AMBER, released to nobody else),
so nothing becomes visible that was not; (partner, name) becomes the positions' natural key.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("positions") as batch:
        batch.add_column(sa.Column("tlp", sa.String(16), nullable=False, server_default="amber"))
    op.create_index("ix_positions_partner_name", "positions", ["partner_code", "name"], unique=True)
    op.create_table(
        "position_audience",
        sa.Column("position_id", sa.Integer, nullable=False),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["positions.id"],
            name="fk_position_audience_position_id_positions",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("position_id", "partner_code", name="pk_position_audience"),
    )
    op.execute(
        "INSERT INTO position_audience (position_id, partner_code) "
        "SELECT id, partner_code FROM positions"
    )


def downgrade() -> None:
    op.drop_table("position_audience")
    op.drop_index("ix_positions_partner_name", table_name="positions")
    with op.batch_alter_table("positions") as batch:
        batch.drop_column("tlp")
