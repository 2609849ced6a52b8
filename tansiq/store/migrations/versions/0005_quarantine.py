"""The quarantine: objects a partner posted to the inbox, held until stix2-validator passes them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "quarantine",
        sa.Column("seq", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("status_id", sa.String(36), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("partner_code", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("stix_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("held_at", _TZ, nullable=False),
        sa.Column("claim", sa.String(36), nullable=True),
        sa.Column("claimed_until", _TZ, nullable=True),
        sa.PrimaryKeyConstraint("seq", name="pk_quarantine"),
    )


def downgrade() -> None:
    op.drop_table("quarantine")
