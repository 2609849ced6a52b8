"""Tables for the checkpoint registry (issue 6): checkpoints and checkpoint_audience.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("latitude", sa.Float, nullable=False),
        sa.Column("longitude", sa.Float, nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hours", sa.String(11), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tlp", sa.String(16), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_code"], ["partners.code"], name="fk_checkpoints_partner_code_partners"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_checkpoints"),
    )
    op.create_index("ix_checkpoints_point", "checkpoints", ["latitude", "longitude"])
    op.create_index(
        "ix_checkpoints_partner_name",
        "checkpoints",
        ["partner_code", "name", "valid_from"],
        unique=True,
    )
    op.create_table(
        "checkpoint_audience",
        sa.Column("checkpoint_id", sa.Integer, nullable=False),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["checkpoints.id"],
            name="fk_checkpoint_audience_checkpoint_id_checkpoints",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("checkpoint_id", "partner_code", name="pk_checkpoint_audience"),
    )


def downgrade() -> None:
    op.drop_table("checkpoint_audience")
    op.drop_index("ix_checkpoints_partner_name", table_name="checkpoints")
    op.drop_index("ix_checkpoints_point", table_name="checkpoints")
    op.drop_table("checkpoints")
